//! An emulator of a Sngine site's "Log in With" API, for tests, demos and offline development.
