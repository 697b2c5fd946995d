# Stand-ins for the devstack functions the plugin calls, for
# tests/unit/devstack/test_plugin.py. Each records its call in
# $DEVSTACK_CALL_LOG (one line per call, the name and arguments separated
# by the ASCII unit separator); those whose result the plugin uses answer
# like devstack would. iniset really writes the INI file, so the generated
# configuration can be parsed and checked.

function _record {
    local IFS=$'\x1f'
    printf '%s\n' "$*" >> "$DEVSTACK_CALL_LOG"
}

ENABLED_SERVICES=${ENABLED_SERVICES:-}

function enable_service {
    _record enable_service "$@"
    local service
    for service in "$@"; do
        ENABLED_SERVICES="$ENABLED_SERVICES,$service"
    done
}

function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
    done
    return 1
}

function use_library_from_git {
    [[ ",$LIBS_FROM_GIT," == *",$1,"* ]]
}

function get_python_exec_prefix { echo "$DEVSTACK_TEST_BIN_DIR"; }
function get_transport_url { echo "$DEVSTACK_TEST_TRANSPORT_URL"; }
function database_connection_url {
    _record database_connection_url "$@"
    echo "$DEVSTACK_TEST_DATABASE_URL/$1?charset=utf8"
}

function get_or_create_service {
    _record get_or_create_service "$@"
    echo "service-id-of-$1"
}

for _name in setup_develop pip_install git_clone create_service_user \
        get_or_add_user_project_role get_or_create_endpoint \
        recreate_database run_process stop_process echo_summary; do
    eval "function $_name { _record $_name \"\$@\"; }"
done
unset _name

function wait_for_service { _record wait_for_service "$@"; return 0; }
function die { echo "die: $*" >&2; exit 1; }

# Commands as root go to the sandbox like any other.
function sudo { "$@"; }

function iniset {
    _record iniset "$@"
    local file=$1 section=$2
    [[ -f "$file" ]] || : > "$file"
    grep -qxF "[$section]" "$file" || printf '[%s]\n' "$section" >> "$file"
    # Replace the option in its section, or add it at the section's end.
    INI_SECTION="[$section]" INI_OPTION=$3 INI_VALUE=$4 awk '
        function put() { print ENVIRON["INI_OPTION"] " = " ENVIRON["INI_VALUE"]; done = 1 }
        /^\[/ { if (here && !done) put(); here = ($0 == ENVIRON["INI_SECTION"]) }
        here && !done && index($0, ENVIRON["INI_OPTION"] " = ") == 1 { put(); next }
        { print }
        END { if (here && !done) put() }' "$file" > "$file.new"
    mv "$file.new" "$file"
}
