# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pipi_global_optspecs
    string join \n profile= base-url= v/verbose h/help V/version
end

function __fish_pipi_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pipi_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pipi_using_subcommand
    set -l cmd (__fish_pipi_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pipi -n "__fish_pipi_needs_command" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_needs_command" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_needs_command" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pipi -n "__fish_pipi_needs_command" -s V -l version -d 'Print version'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "login" -d 'Log in through the browser and cache the token'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "whoami" -d 'Print the profile of the logged-in person as JSON'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "token" -d 'Print the cached access token (no network), or with --login a live one'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "exec" -d 'Run a command with a live token in its environment, logging in first if needed'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "status" -d 'Say who is logged in, where, and for how long (no network)'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "logout" -d 'Forget the cached token and profile snapshot'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "mock" -d 'Run an emulated Sngine site on this machine, to develop and test against offline'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "demo" -d 'Show the whole login flow against a built-in emulated site, offline'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "api" -d 'Call an endpoint of the site\'s API with the cached token and print its JSON answer'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "config" -d 'Show and change the config file\'s settings, per profile'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "profiles" -d 'List the profiles, who is logged in on each, and for how long (no network)'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "man" -d 'Print the manual page, in roff'
complete -c pipi -n "__fish_pipi_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pipi -n "__fish_pipi_using_subcommand login" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand login" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand login" -l timeout -d 'Seconds to wait for the browser to come back' -r
complete -c pipi -n "__fish_pipi_using_subcommand login" -l jq -d 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it' -r
complete -c pipi -n "__fish_pipi_using_subcommand login" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand login" -l json -d 'Also print the profile as JSON on stdout'
complete -c pipi -n "__fish_pipi_using_subcommand login" -l no-browser -d 'Start no browser: print the login URL to open anywhere (a laptop, a phone), then take the address the browser was sent to, or its key, pasted on stdin'
complete -c pipi -n "__fish_pipi_using_subcommand login" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -l jq -d 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it' -r
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -l raw -d 'Print the server\'s answer as received, entities and all'
complete -c pipi -n "__fish_pipi_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand token" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand token" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand token" -l min-left -d 'With --login: log in also when the cached token has less than this to live' -r
complete -c pipi -n "__fish_pipi_using_subcommand token" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand token" -l login -d 'Log in first when no live token is cached (through the browser, as \'pipi login\'); with a live one, no request is made'
complete -c pipi -n "__fish_pipi_using_subcommand token" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand exec" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand exec" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand exec" -l min-left -d 'Log in first when the cached token has less than this to live' -r
complete -c pipi -n "__fish_pipi_using_subcommand exec" -l timeout -d 'Seconds to wait for the browser to come back, when a login is needed' -r
complete -c pipi -n "__fish_pipi_using_subcommand exec" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand exec" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand status" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand status" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand status" -l jq -d 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it' -r
complete -c pipi -n "__fish_pipi_using_subcommand status" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand status" -l json -d 'Print the status as JSON on stdout'
complete -c pipi -n "__fish_pipi_using_subcommand status" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand logout" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand logout" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand logout" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand logout" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l port -d 'Port to listen on, on 127.0.0.1; 0 picks a free one' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l listen -d 'Address and port to listen on instead, e.g. 0.0.0.0:8764 in a container; off loopback the admin API needs --admin-token' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l admin-token -d 'The bearer token the admin API (/__pipi/) requires; also PIPI_MOCK_ADMIN_TOKEN' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l print-port-to -d 'Once serving, write the port to FILE (atomically), for a script to wait on' -r -F
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l env-file -d 'Once serving, write the export lines that point pipi at the site to FILE, for \'. FILE\'' -r -F
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l config -d 'Set the site up from a JSON file of the admin API\'s shape (apps, users, faults, token_ttl, latency_ms); flags given too win' -r -F
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l token-ttl -d 'Seconds a token lives [default: 60, as real servers]' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l generation -d 'Which Sngine generation /api/authorize behaves like: get (up to 4.0.3), post (4.0.4 and later) or both' -r -f -a "get\t'Up to 4.0.3: the query string only'
post\t'4.0.4 and later: a form-encoded POST body only'
both\t'Either'"
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l app-id -d 'The registered app\'s id' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l app-secret -d 'The registered app\'s secret (a fake one: this is the emulator\'s own)' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l redirect-url -d 'The app\'s registered redirect URL, where the site sends the browser' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l user -d 'Count every browser as signed in as this person (a user_id or handle)' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l users -d 'Load the people from a JSON file (an array of user_info objects)' -r -F
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l fault -d 'Make an endpoint misbehave: authorize or user_info = html500, reset, slow, stall, drip, badjson, truncated, invalid_utf8, nested, oversize, empty, redirect, deleted (user_info), or bad_token (authorize)' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l latency -d 'Milliseconds added before every answer [default: 0]' -r
complete -c pipi -n "__fish_pipi_using_subcommand mock" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l print-config -d 'Print the site\'s setup as JSON, a file to start --config from, and exit'
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l log-secrets -d 'Show app secrets, keys and tokens in the request record /__pipi/requests gives'
complete -c pipi -n "__fish_pipi_using_subcommand mock" -l auto-approve -d 'Skip the sign-in and consent pages: /api/oauth redirects at once'
complete -c pipi -n "__fish_pipi_using_subcommand mock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pipi -n "__fish_pipi_using_subcommand demo" -l timeout -d 'Seconds to wait for the browser to come back' -r
complete -c pipi -n "__fish_pipi_using_subcommand demo" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand demo" -l no-browser -d 'Walk the sign-in and consent pages with the built-in HTTP client, even if a browser could be opened'
complete -c pipi -n "__fish_pipi_using_subcommand demo" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand api" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand api" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand api" -s f -l field -d 'A parameter to send, as KEY=VALUE; repeat for more' -r
complete -c pipi -n "__fish_pipi_using_subcommand api" -s X -l method -d 'GET sends the parameters in the query string, as Sngine\'s API reads them; POST sends them as a form (the token stays in the query string)' -r -f -a "GET\t''
POST\t''"
complete -c pipi -n "__fish_pipi_using_subcommand api" -l jq -d 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it' -r
complete -c pipi -n "__fish_pipi_using_subcommand api" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand api" -l raw -d 'Print the server\'s answer as received instead of pretty-printed'
complete -c pipi -n "__fish_pipi_using_subcommand api" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "list" -d 'Print the profile\'s settings from the config file, one KEY = VALUE a line'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "get" -d 'Print one setting of the profile from the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "set" -d 'Check a value and save it in the profile\'s table of the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "unset" -d 'Remove a setting from the profile\'s table of the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "path" -d 'Print the config file\'s path'
complete -c pipi -n "__fish_pipi_using_subcommand config; and not __fish_seen_subcommand_from list get set unset path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from list" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from list" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from list" -l show-secrets -d 'Print the app secret instead of [redacted]'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from get" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from get" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from get" -l show-secrets -d 'Print the app secret instead of [redacted]'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from set" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from set" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from unset" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from unset" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from unset" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from path" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print the profile\'s settings from the config file, one KEY = VALUE a line'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print one setting of the profile from the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Check a value and save it in the profile\'s table of the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove a setting from the profile\'s table of the config file'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file\'s path'
complete -c pipi -n "__fish_pipi_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -l profile -d 'Profile to use: each has its own site, app and token' -r
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -l base-url -d 'Base URL of the Sngine site [default: https://pipichat.com]' -r
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -l jq -d 'Filter the JSON with a jq expression, built in (no jq needed): each result on its own line, strings raw; implies --json where the command has it' -r
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -l json -d 'Print the profiles as a JSON array on stdout'
complete -c pipi -n "__fish_pipi_using_subcommand profiles" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand completions" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand completions" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand man" -s v -l verbose -d 'Log each step on stderr, secrets redacted; -vv also logs the server\'s answers'
complete -c pipi -n "__fish_pipi_using_subcommand man" -s h -l help -d 'Print help'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "login" -d 'Log in through the browser and cache the token'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "whoami" -d 'Print the profile of the logged-in person as JSON'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "token" -d 'Print the cached access token (no network), or with --login a live one'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "exec" -d 'Run a command with a live token in its environment, logging in first if needed'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "status" -d 'Say who is logged in, where, and for how long (no network)'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "logout" -d 'Forget the cached token and profile snapshot'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "mock" -d 'Run an emulated Sngine site on this machine, to develop and test against offline'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "demo" -d 'Show the whole login flow against a built-in emulated site, offline'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "api" -d 'Call an endpoint of the site\'s API with the cached token and print its JSON answer'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "config" -d 'Show and change the config file\'s settings, per profile'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "profiles" -d 'List the profiles, who is logged in on each, and for how long (no network)'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "man" -d 'Print the manual page, in roff'
complete -c pipi -n "__fish_pipi_using_subcommand help; and not __fish_seen_subcommand_from login whoami token exec status logout mock demo api config profiles completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
