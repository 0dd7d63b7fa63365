
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pipi' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pipi'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pipi' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in through the browser and cache the token')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Print the profile of the logged-in person as JSON')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print the cached access token (no network), or with --login a live one')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a live token in its environment, logging in first if needed')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Say who is logged in, where, and for how long (no network)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the cached token and profile snapshot')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Run an emulated Sngine site on this machine, to develop and test against offline')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Show the whole login flow against a built-in emulated site, offline')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call an endpoint of the site''s API with the cached token and print its JSON answer')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show and change the config file''s settings, per profile')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the profiles, who is logged in on each, and for how long (no network)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page, in roff')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pipi;login' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the browser to come back')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Also print the profile as JSON on stdout')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Start no browser: print the login URL to open anywhere (a laptop, a phone), then take the address the browser was sent to, or its key, pasted on stdin')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;whoami' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the server''s answer as received, entities and all')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;token' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--min-left', '--min-left', [CompletionResultType]::ParameterName, 'With --login: log in also when the cached token has less than this to live')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--login', '--login', [CompletionResultType]::ParameterName, 'Log in first when no live token is cached (through the browser, as ''pipi login''); with a live one, no request is made')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;exec' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--min-left', '--min-left', [CompletionResultType]::ParameterName, 'Log in first when the cached token has less than this to live')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the browser to come back, when a login is needed')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the status as JSON on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;mock' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on, on 127.0.0.1; 0 picks a free one')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on instead, e.g. 0.0.0.0:8764 in a container; off loopback the admin API needs --admin-token')
            [CompletionResult]::new('--admin-token', '--admin-token', [CompletionResultType]::ParameterName, 'The bearer token the admin API (/__pipi/) requires; also PIPI_MOCK_ADMIN_TOKEN')
            [CompletionResult]::new('--print-port-to', '--print-port-to', [CompletionResultType]::ParameterName, 'Once serving, write the port to FILE (atomically), for a script to wait on')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Once serving, write the export lines that point pipi at the site to FILE, for ''. FILE''')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Set the site up from a JSON file of the admin API''s shape (apps, users, faults, token_ttl, latency_ms); flags given too win')
            [CompletionResult]::new('--token-ttl', '--token-ttl', [CompletionResultType]::ParameterName, 'Seconds a token lives [default: 60, as real servers]')
            [CompletionResult]::new('--generation', '--generation', [CompletionResultType]::ParameterName, 'Which Sngine generation /api/authorize behaves like: get (up to 4.0.3), post (4.0.4 and later) or both')
            [CompletionResult]::new('--app-id', '--app-id', [CompletionResultType]::ParameterName, 'The registered app''s id')
            [CompletionResult]::new('--app-secret', '--app-secret', [CompletionResultType]::ParameterName, 'The registered app''s secret (a fake one: this is the emulator''s own)')
            [CompletionResult]::new('--redirect-url', '--redirect-url', [CompletionResultType]::ParameterName, 'The app''s registered redirect URL, where the site sends the browser')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Count every browser as signed in as this person (a user_id or handle)')
            [CompletionResult]::new('--users', '--users', [CompletionResultType]::ParameterName, 'Load the people from a JSON file (an array of user_info objects)')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Make an endpoint misbehave: authorize or user_info = html500, reset, slow, stall, drip, badjson, truncated, invalid_utf8, nested, oversize, empty, redirect, deleted (user_info), or bad_token (authorize)')
            [CompletionResult]::new('--latency', '--latency', [CompletionResultType]::ParameterName, 'Milliseconds added before every answer [default: 0]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--print-config', '--print-config', [CompletionResultType]::ParameterName, 'Print the site''s setup as JSON, a file to start --config from, and exit')
            [CompletionResult]::new('--log-secrets', '--log-secrets', [CompletionResultType]::ParameterName, 'Show app secrets, keys and tokens in the request record /__pipi/requests gives')
            [CompletionResult]::new('--auto-approve', '--auto-approve', [CompletionResultType]::ParameterName, 'Skip the sign-in and consent pages: /api/oauth redirects at once')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pipi;demo' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the browser to come back')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Walk the sign-in and consent pages with the built-in HTTP client, even if a browser could be opened')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;api' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A parameter to send, as KEY=VALUE; repeat for more')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'A parameter to send, as KEY=VALUE; repeat for more')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'GET sends the parameters in the query string, as Sngine''s API reads them; POST sends them as a form (the token stays in the query string)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'GET sends the parameters in the query string, as Sngine''s API reads them; POST sends them as a form (the token stays in the query string)')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the server''s answer as received instead of pretty-printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;config' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print the profile''s settings from the config file, one KEY = VALUE a line')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting of the profile from the config file')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Check a value and save it in the profile''s table of the config file')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove a setting from the profile''s table of the config file')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pipi;config;list' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print the app secret instead of [redacted]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;config;get' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print the app secret instead of [redacted]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pipi;config;set' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pipi;config;unset' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pipi;config;path' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;config;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print the profile''s settings from the config file, one KEY = VALUE a line')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting of the profile from the config file')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Check a value and save it in the profile''s table of the config file')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove a setting from the profile''s table of the config file')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pipi;config;help;list' {
            break
        }
        'pipi;config;help;get' {
            break
        }
        'pipi;config;help;set' {
            break
        }
        'pipi;config;help;unset' {
            break
        }
        'pipi;config;help;path' {
            break
        }
        'pipi;config;help;help' {
            break
        }
        'pipi;profiles' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: each has its own site, app and token')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Base URL of the Sngine site [default: https://pipichat.com]')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the profiles as a JSON array on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;completions' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;man' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pipi;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in through the browser and cache the token')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Print the profile of the logged-in person as JSON')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print the cached access token (no network), or with --login a live one')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a live token in its environment, logging in first if needed')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Say who is logged in, where, and for how long (no network)')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the cached token and profile snapshot')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Run an emulated Sngine site on this machine, to develop and test against offline')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Show the whole login flow against a built-in emulated site, offline')
            [CompletionResult]::new('api', 'api', [CompletionResultType]::ParameterValue, 'Call an endpoint of the site''s API with the cached token and print its JSON answer')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show and change the config file''s settings, per profile')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'List the profiles, who is logged in on each, and for how long (no network)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page, in roff')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pipi;help;login' {
            break
        }
        'pipi;help;whoami' {
            break
        }
        'pipi;help;token' {
            break
        }
        'pipi;help;exec' {
            break
        }
        'pipi;help;status' {
            break
        }
        'pipi;help;logout' {
            break
        }
        'pipi;help;mock' {
            break
        }
        'pipi;help;demo' {
            break
        }
        'pipi;help;api' {
            break
        }
        'pipi;help;config' {
            break
        }
        'pipi;help;profiles' {
            break
        }
        'pipi;help;completions' {
            break
        }
        'pipi;help;man' {
            break
        }
        'pipi;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
