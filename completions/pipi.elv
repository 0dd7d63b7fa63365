
use builtin;
use str;

set edit:completion:arg-completer[pipi] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pipi'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pipi'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Log in through the browser and cache the token'
            cand whoami 'Print the profile of the logged-in person as JSON'
            cand token 'Print the cached access token (no network), or with --login a live one'
            cand exec 'Run a command with a live token in its environment, logging in first if needed'
            cand status 'Say who is logged in, where, and for how long (no network)'
            cand logout 'Forget the cached token and profile snapshot'
            cand mock 'Run an emulated Sngine site on this machine, to develop and test against offline'
            cand demo 'Show the whole login flow against a built-in emulated site, offline'
            cand api 'Call an endpoint of the site''s API with the cached token and print its JSON answer'
            cand config 'Show and change the config file''s settings, per profile'
            cand profiles 'List the profiles, who is logged in on each, and for how long (no network)'
            cand completions 'Print the completion script for a shell'
            cand man 'Print the manual page, in roff'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pipi;login'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --timeout 'Seconds to wait for the browser to come back'
            cand --jq 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --json 'Also print the profile as JSON on stdout'
            cand --no-browser 'Start no browser: print the login URL to open anywhere (a laptop, a phone), then take the address the browser was sent to, or its key, pasted on stdin'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;whoami'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --jq 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --raw 'Print the server''s answer as received, entities and all'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;token'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --min-left 'With --login: log in also when the cached token has less than this to live'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --login 'Log in first when no live token is cached (through the browser, as ''pipi login''); with a live one, no request is made'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;exec'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --min-left 'Log in first when the cached token has less than this to live'
            cand --timeout 'Seconds to wait for the browser to come back, when a login is needed'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;status'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --jq 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --json 'Print the status as JSON on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;logout'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;mock'= {
            cand --port 'Port to listen on, on 127.0.0.1; 0 picks a free one'
            cand --listen 'Address and port to listen on instead, e.g. 0.0.0.0:8764 in a container; off loopback the admin API needs --admin-token'
            cand --admin-token 'The bearer token the admin API (/__pipi/) requires; also PIPI_MOCK_ADMIN_TOKEN'
            cand --print-port-to 'Once serving, write the port to FILE (atomically), for a script to wait on'
            cand --env-file 'Once serving, write the export lines that point pipi at the site to FILE, for ''. FILE'''
            cand --config 'Set the site up from a JSON file of the admin API''s shape (apps, users, faults, token_ttl, latency_ms); flags given too win'
            cand --token-ttl 'Seconds a token lives [default: 60, as real servers]'
            cand --generation 'Which Sngine generation /api/authorize behaves like: get (up to 4.0.3), post (4.0.4 and later) or both'
            cand --app-id 'The registered app''s id'
            cand --app-secret 'The registered app''s secret (a fake one: this is the emulator''s own)'
            cand --redirect-url 'The app''s registered redirect URL, where the site sends the browser'
            cand --user 'Count every browser as signed in as this person (a user_id or handle)'
            cand --users 'Load the people from a JSON file (an array of user_info objects)'
            cand --fault 'Make an endpoint misbehave: authorize or user_info = html500, reset, slow, stall, drip, badjson, truncated, invalid_utf8, nested, oversize, empty, redirect, deleted (user_info), or bad_token (authorize)'
            cand --latency 'Milliseconds added before every answer [default: 0]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --print-config 'Print the site''s setup as JSON, a file to start --config from, and exit'
            cand --log-secrets 'Show app secrets, keys and tokens in the request record /__pipi/requests gives'
            cand --auto-approve 'Skip the sign-in and consent pages: /api/oauth redirects at once'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pipi;demo'= {
            cand --timeout 'Seconds to wait for the browser to come back'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --no-browser 'Walk the sign-in and consent pages with the built-in HTTP client, even if a browser could be opened'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;api'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -f 'A parameter to send, as KEY=VALUE; repeat for more'
            cand --field 'A parameter to send, as KEY=VALUE; repeat for more'
            cand -X 'GET sends the parameters in the query string, as Sngine''s API reads them; POST sends them as a form (the token stays in the query string)'
            cand --method 'GET sends the parameters in the query string, as Sngine''s API reads them; POST sends them as a form (the token stays in the query string)'
            cand --jq 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --raw 'Print the server''s answer as received instead of pretty-printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;config'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'Print the profile''s settings from the config file, one KEY = VALUE a line'
            cand get 'Print one setting of the profile from the config file'
            cand set 'Check a value and save it in the profile''s table of the config file'
            cand unset 'Remove a setting from the profile''s table of the config file'
            cand path 'Print the config file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pipi;config;list'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --show-secrets 'Print the app secret instead of [redacted]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;config;get'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --show-secrets 'Print the app secret instead of [redacted]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pipi;config;set'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pipi;config;unset'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pipi;config;path'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;config;help'= {
            cand list 'Print the profile''s settings from the config file, one KEY = VALUE a line'
            cand get 'Print one setting of the profile from the config file'
            cand set 'Check a value and save it in the profile''s table of the config file'
            cand unset 'Remove a setting from the profile''s table of the config file'
            cand path 'Print the config file''s path'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pipi;config;help;list'= {
        }
        &'pipi;config;help;get'= {
        }
        &'pipi;config;help;set'= {
        }
        &'pipi;config;help;unset'= {
        }
        &'pipi;config;help;path'= {
        }
        &'pipi;config;help;help'= {
        }
        &'pipi;profiles'= {
            cand --profile 'Profile to use: each has its own site, app and token'
            cand --base-url 'Base URL of the Sngine site [default: https://pipichat.com]'
            cand --jq 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it'
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --json 'Print the profiles as a JSON array on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;completions'= {
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;man'= {
            cand -v 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand --verbose 'Log each step on stderr, secrets redacted; -vv also logs the server''s answers'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pipi;help'= {
            cand login 'Log in through the browser and cache the token'
            cand whoami 'Print the profile of the logged-in person as JSON'
            cand token 'Print the cached access token (no network), or with --login a live one'
            cand exec 'Run a command with a live token in its environment, logging in first if needed'
            cand status 'Say who is logged in, where, and for how long (no network)'
            cand logout 'Forget the cached token and profile snapshot'
            cand mock 'Run an emulated Sngine site on this machine, to develop and test against offline'
            cand demo 'Show the whole login flow against a built-in emulated site, offline'
            cand api 'Call an endpoint of the site''s API with the cached token and print its JSON answer'
            cand config 'Show and change the config file''s settings, per profile'
            cand profiles 'List the profiles, who is logged in on each, and for how long (no network)'
            cand completions 'Print the completion script for a shell'
            cand man 'Print the manual page, in roff'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pipi;help;login'= {
        }
        &'pipi;help;whoami'= {
        }
        &'pipi;help;token'= {
        }
        &'pipi;help;exec'= {
        }
        &'pipi;help;status'= {
        }
        &'pipi;help;logout'= {
        }
        &'pipi;help;mock'= {
        }
        &'pipi;help;demo'= {
        }
        &'pipi;help;api'= {
        }
        &'pipi;help;config'= {
        }
        &'pipi;help;profiles'= {
        }
        &'pipi;help;completions'= {
        }
        &'pipi;help;man'= {
        }
        &'pipi;help;help'= {
        }
    ]
    $completions[$command]
}
