#!/usr/bin/env bash
# devstack plugin of this Trove control plane.
#
# Enable it in local.conf with
#     enable_plugin trove <URL of this repository> [branch]
# devstack sources devstack/settings, then this file once per phase with
# the phase as arguments:
#
#   stack install       the project and python-troveclient (and, when
#                       Horizon is enabled, trove-dashboard with all its
#                       panels)
#   stack post-config   Keystone service user, service and endpoints;
#                       trove.conf, trove-guestagent.conf, cloud-init files
#   stack extra         control database, datastores and versions, then
#                       trove-api, trove-taskmanager and trove-conductor
#   unstack             stop the three processes
#   clean               remove the configuration and state
#
# Instances are Nova servers with Cinder volumes (compute_provider =
# openstack); the guest image of each datastore version is found in Glance
# by TROVE_IMAGE_TAGS.

# Save trace setting
_XTRACE_TROVE=$(set +o | grep xtrace)
set +o xtrace

TROVE_PROCESSES="tr-api tr-tmgr tr-cond"

function _trove_manage {
    "$TROVE_BIN_DIR/trove-manage" --config-file="$TROVE_CONF" "$@"
}

# -- stack install --------------------------------------------------------------

function install_trove {
    setup_develop "$TROVE_DIR"
}

function install_python_troveclient {
    if use_library_from_git "python-troveclient"; then
        git_clone "$TROVECLIENT_REPO" "$TROVECLIENT_DIR" "$TROVECLIENT_BRANCH"
        setup_develop "$TROVECLIENT_DIR"
    else
        pip_install python-troveclient
    fi
}

# Every panel file of trove-dashboard (the backup strategies panel
# included) goes into Horizon's local enabled directory.
function install_trove_dashboard {
    git_clone "$TROVE_DASHBOARD_REPO" "$TROVE_DASHBOARD_DIR" "$TROVE_DASHBOARD_BRANCH"
    setup_develop "$TROVE_DASHBOARD_DIR"
    local panel
    for panel in "$TROVE_DASHBOARD_DIR"/trove_dashboard/enabled/_[0-9]*.py; do
        cp "$panel" "$HORIZON_DIR/openstack_dashboard/local/enabled/"
    done
}

# -- stack post-config ------------------------------------------------------------

function create_trove_accounts {
    create_service_user "trove" "admin"
    get_or_add_user_project_role "service" "trove" "$SERVICE_PROJECT_NAME"
    local service_id
    service_id=$(get_or_create_service "trove" "database" \
        "Trove Database as a Service")
    local url="$TROVE_SERVICE_PROTOCOL://$TROVE_SERVICE_HOST:$TROVE_SERVICE_PORT/v1.0/\$(project_id)s"
    get_or_create_endpoint "$service_id" "$REGION_NAME" "$url" "$url" "$url"
}

function _trove_keystone_sections {
    local conf=$1
    iniset "$conf" keystone_authtoken www_authenticate_uri "$KEYSTONE_SERVICE_URI"
    iniset "$conf" keystone_authtoken auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf" keystone_authtoken auth_type password
    iniset "$conf" keystone_authtoken username trove
    iniset "$conf" keystone_authtoken password "$SERVICE_PASSWORD"
    iniset "$conf" keystone_authtoken project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" keystone_authtoken user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" keystone_authtoken project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" keystone_authtoken region_name "$REGION_NAME"

    # The openstack provider creates servers and volumes as this user in
    # the service project.
    iniset "$conf" service_credentials auth_url "$KEYSTONE_SERVICE_URI/v3"
    iniset "$conf" service_credentials username trove
    iniset "$conf" service_credentials password "$SERVICE_PASSWORD"
    iniset "$conf" service_credentials project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" service_credentials user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" service_credentials project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" service_credentials region_name "$REGION_NAME"
}

function configure_trove {
    sudo install -d -o "$STACK_USER" -m 755 "$TROVE_CONF_DIR" "$TROVE_CLOUDINIT_DIR"
    sudo install -d -o "$STACK_USER" -m 755 "$TROVE_STATE_PATH"
    cp "$TROVE_DIR/etc/trove/api-paste.ini" "$TROVE_API_PASTE_INI"

    rm -f "$TROVE_CONF"
    iniset "$TROVE_CONF" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$TROVE_CONF" DEFAULT state_path "$TROVE_STATE_PATH"
    iniset "$TROVE_CONF" DEFAULT bind_host "$TROVE_SERVICE_LISTEN_ADDRESS"
    iniset "$TROVE_CONF" DEFAULT bind_port "$TROVE_SERVICE_PORT"
    iniset "$TROVE_CONF" DEFAULT api_paste_config "$TROVE_API_PASTE_INI"
    iniset "$TROVE_CONF" DEFAULT auth_strategy keystone
    iniset "$TROVE_CONF" DEFAULT transport_url "$(get_transport_url)"
    iniset "$TROVE_CONF" DEFAULT control_exchange trove
    iniset "$TROVE_CONF" DEFAULT compute_provider openstack
    iniset "$TROVE_CONF" DEFAULT guest_config "$TROVE_GUESTAGENT_CONF"
    iniset "$TROVE_CONF" DEFAULT max_accepted_volume_size "$TROVE_MAX_ACCEPTED_VOLUME_SIZE"
    iniset "$TROVE_CONF" DEFAULT max_instances_per_tenant "$TROVE_MAX_INSTANCES_PER_TENANT"
    iniset "$TROVE_CONF" DEFAULT max_volumes_per_tenant "$TROVE_MAX_VOLUMES_PER_TENANT"
    iniset "$TROVE_CONF" DEFAULT agent_call_high_timeout "$TROVE_AGENT_CALL_HIGH_TIMEOUT"
    iniset "$TROVE_CONF" DEFAULT usage_timeout "$TROVE_USAGE_TIMEOUT"
    iniset "$TROVE_CONF" DEFAULT swift_api_insecure "$TROVE_SWIFT_API_INSECURE"
    if [[ -n "$TROVE_DEFAULT_DATASTORE" ]]; then
        iniset "$TROVE_CONF" DEFAULT default_datastore "$TROVE_DEFAULT_DATASTORE"
    fi
    iniset "$TROVE_CONF" database connection "$(database_connection_url trove)"
    _trove_keystone_sections "$TROVE_CONF"

    configure_trove_guest_agent
    write_trove_cloudinit_files
}

# The config file the openstack provider injects into every server. The
# guest agent reaches RabbitMQ at the controller's address and holds no
# control database or service credentials.
function configure_trove_guest_agent {
    rm -f "$TROVE_GUESTAGENT_CONF"
    local conf=$TROVE_GUESTAGENT_CONF
    iniset "$conf" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$conf" DEFAULT transport_url \
        "rabbit://$RABBIT_USERID:$RABBIT_PASSWORD@$TROVE_CONTROLLER_ADDRESS:5672/"
    iniset "$conf" DEFAULT control_exchange trove
    iniset "$conf" DEFAULT log_dir "$TROVE_GUEST_LOG_DIR"
    iniset "$conf" DEFAULT log_file trove-guestagent.log
    iniset "$conf" DEFAULT state_change_wait_time "$TROVE_STATE_CHANGE_WAIT_TIME"
    iniset "$conf" DEFAULT command_process_timeout "$TROVE_COMMAND_PROCESS_TIMEOUT"
    iniset "$conf" DEFAULT swift_api_insecure "$TROVE_SWIFT_API_INSECURE"
}

# One cloud-init user-data file per datastore: the guest learns where the
# controller is.
function write_trove_cloudinit_files {
    local pair datastore
    for pair in $TROVE_DATASTORES; do
        datastore=${pair%%:*}
        cat > "$TROVE_CLOUDINIT_DIR/$datastore.cloudinit" <<EOF
#cloud-config
manage_etc_hosts: true
write_files:
  - path: /etc/trove/controller.conf
    permissions: '0644'
    content: |
      CONTROLLER=$TROVE_CONTROLLER_ADDRESS
      TROVE_MGMT_GATEWAY=$TROVE_MGMT_GATEWAY
EOF
    done
}

# -- stack extra --------------------------------------------------------------------

function init_trove_db {
    recreate_database trove
    _trove_manage db_sync
}

# Each datastore:version of TROVE_DATASTORES becomes a datastore with that
# default version, whose guest image Glance finds by TROVE_IMAGE_TAGS, and
# with the configuration parameters its template directory defines.
function register_trove_datastores {
    local pair datastore version rules
    for pair in $TROVE_DATASTORES; do
        datastore=${pair%%:*}
        version=${pair##*:}
        _trove_manage datastore_update "$datastore" ""
        _trove_manage datastore_version_update "$datastore" "$version" \
            "$datastore" "" "" 1 --image-tags "$TROVE_IMAGE_TAGS"
        _trove_manage datastore_update "$datastore" "$version"
        rules=$TROVE_DIR/trove/templates/$datastore/validation-rules.json
        if [[ -f "$rules" ]]; then
            _trove_manage db_load_datastore_config_parameters \
                "$datastore" "$version" "$rules"
        fi
    done
}

function start_trove {
    run_process tr-api "$TROVE_BIN_DIR/trove-api --config-file=$TROVE_CONF"
    run_process tr-tmgr "$TROVE_BIN_DIR/trove-taskmanager --config-file=$TROVE_CONF"
    run_process tr-cond "$TROVE_BIN_DIR/trove-conductor --config-file=$TROVE_CONF"
    local url="$TROVE_SERVICE_PROTOCOL://$TROVE_SERVICE_HOST:$TROVE_SERVICE_PORT"
    if ! wait_for_service "$SERVICE_TIMEOUT" "$url"; then
        die $LINENO "trove-api did not start at $url"
    fi
}

# -- unstack, clean -----------------------------------------------------------------

function stop_trove {
    local process
    for process in $TROVE_PROCESSES; do
        stop_process "$process"
    done
}

function cleanup_trove {
    sudo rm -rf "$TROVE_CONF_DIR" "$TROVE_STATE_PATH"
}

# -- dispatch -----------------------------------------------------------------------

if is_service_enabled trove; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Trove"
        install_trove
        install_python_troveclient
        if is_service_enabled horizon; then
            install_trove_dashboard
        fi
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Trove"
        create_trove_accounts
        configure_trove
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing and starting Trove"
        init_trove_db
        register_trove_datastores
        start_trove
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_trove
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_trove
    fi
fi

# Restore xtrace
$_XTRACE_TROVE
