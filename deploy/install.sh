#!/usr/bin/env bash
# Install triage's systemd units, its service user, directories and env file.
#
#   deploy/install.sh [--bin PATH] [--root DIR] [--encrypted]   system service (run as root)
#   deploy/install.sh --user [--bin PATH]                       user service for this user
#
# --encrypted: the units load credentials with LoadCredentialEncrypted= (systemd-creds encrypt).
# Idempotent: a second run changes nothing, and an existing env file is never overwritten.
# --root DIR installs into DIR instead of / (packaging, tests): the user is added to DIR/etc/passwd
# with `useradd --prefix` when that file exists, and systemd is not reloaded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=/
user_mode=no
encrypted=no
bin=

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

die() {
    echo "install.sh: $*" >&2
    exit 2
}

while (($#)); do
    case $1 in
        --root) (($# >= 2)) || die "--root needs a directory"; root=$2; shift 2 ;;
        --root=*) root=${1#--root=}; shift ;;
        --bin) (($# >= 2)) || die "--bin needs a path"; bin=$2; shift 2 ;;
        --bin=*) bin=${1#--bin=}; shift ;;
        --user) user_mode=yes; shift ;;
        --encrypted) encrypted=yes; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

[[ $root == /* ]] || die "--root must be an absolute path: $root"
root=${root%/}  # "" for /, so "$root/etc" is always right
[[ -z $root || -d $root ]] || die "--root $root is not a directory"
[[ -f $here/../.env.example ]] || die "no .env.example beside deploy/: run me from a checkout"

changed=0

say() { echo "  $*"; }

# copy SRC DEST MODE: install SRC as DEST unless DEST already has that content and mode.
copy() {
    local src=$1 dest=$2 mode=$3
    if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c %a "$dest") == "${mode#0}" ]]; then
        say "unchanged $dest"
        return
    fi
    install -m "$mode" "$src" "$dest"
    say "installed $dest"
    changed=$((changed + 1))
}

# unit TEMPLATE DEST: the unit with ExecStart= pointing at $bin.
unit() {
    local tmp
    tmp=$(mktemp)
    # '%' starts a specifier in unit files; '\' and '&' are special to sed.
    local target=${bin//%/%%}
    target=$(printf '%s' "$target" | sed 's/[\\&|]/\\&/g')
    local load=LoadCredential
    [[ $encrypted == no ]] || load=LoadCredentialEncrypted
    sed -e "s|^ExecStart=[^ ]*triage |ExecStart=$target |" \
        -e "s|^LoadCredential=|$load=|" "$1" >"$tmp"
    copy "$tmp" "$2" 0644
    rm -f "$tmp"
}

# env_file DEST MODE: the example settings, only when DEST does not exist yet.
env_file() {
    if [[ -e $1 ]]; then
        say "kept     $1 (existing settings are never overwritten)"
        return 1
    fi
    install -m "$2" "$here/../.env.example" "$1"
    say "created  $1 from .env.example"
    changed=$((changed + 1))
}

pick_bin() {
    local fallback=$1
    if [[ -z $bin ]]; then
        bin=$(command -v triage || true)
        bin=${bin:-$fallback}
    fi
    [[ $bin == /* ]] || die "--bin must be an absolute path: $bin"
    [[ $bin != *[[:space:]]* ]] || die "--bin must not contain white space: $bin"
    [[ -x $bin ]] || echo "warning: $bin is not an executable file (yet); the unit runs it" >&2
    if [[ $bin == */.pyenv/shims/* ]]; then
        echo "warning: $bin is a pyenv shim; pass --bin with the real path" \
            "(pyenv which triage)" >&2
    fi
}

install_user() {
    pick_bin "$HOME/.local/bin/triage"
    local config=$root${XDG_CONFIG_HOME:-$HOME/.config}
    echo "Installing the triage user service for $(id -un) (ExecStart: $bin)"
    install -d -m 0700 "$config/triage"
    install -d "$config/systemd/user"
    env_file "$config/triage/triage.env" 0600 || true
    unit "$here/triage-user.service" "$config/systemd/user/triage.service"

    local manager=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/systemd/private
    if [[ -z $root && -S $manager ]] && ((changed)); then
        systemctl --user daemon-reload
        say "reloaded the user's systemd manager"
    fi
    cat <<EOF

Next steps:
  1. Fill in $config/triage/triage.env (it stays mode 0600).
  2. triage --env-file $config/triage/triage.env doctor
  3. systemctl --user enable --now triage
     (and 'loginctl enable-linger $(id -un)' to keep it running while you are logged out)
  4. journalctl --user -u triage -f
  5. triage --env-file $config/triage/triage.env review
EOF
}

# The service user: with useradd on the real system, with useradd --prefix in a --root tree
# that has an etc/passwd, else skipped (ownership is then left to whoever finishes the image).
ensure_system_user() {
    local shell=/usr/sbin/nologin
    [[ -x $root$shell ]] || shell=/sbin/nologin
    local args=(--system --user-group --home-dir /var/lib/triage --no-create-home
        --shell "$shell" --comment "triage daemon")
    if [[ -z $root ]]; then
        if getent passwd triage >/dev/null; then
            say "exists   user triage"
        else
            useradd "${args[@]}" triage
            say "created  system user triage"
            changed=$((changed + 1))
        fi
    elif [[ ! -f $root/etc/passwd ]]; then
        say "skipped  user triage: $root/etc/passwd does not exist"
    elif grep -q '^triage:' "$root/etc/passwd"; then
        say "exists   user triage in $root/etc/passwd"
    elif ((EUID != 0)) || ! command -v useradd >/dev/null; then
        say "skipped  user triage: adding it to $root/etc/passwd needs root and useradd"
    else
        useradd --prefix "$root" "${args[@]}" triage
        say "created  system user triage in $root/etc/passwd"
        changed=$((changed + 1))
    fi
}

# own PATH OWNER GROUP: chown when the names exist in the target's passwd/group and we may.
own() {
    local path=$1 owner=$2 group=$3 uid gid
    ((EUID == 0)) || return 0
    if [[ -z $root ]]; then
        uid=$(getent passwd "$owner" | cut -d: -f3) || true
        gid=$(getent group "$group" | cut -d: -f3) || true
    else
        uid=$(awk -F: -v n="$owner" '$1 == n { print $3 }' "$root/etc/passwd" 2>/dev/null) || true
        gid=$(awk -F: -v n="$group" '$1 == n { print $3 }' "$root/etc/group" 2>/dev/null) || true
    fi
    [[ $owner == root ]] && uid=0
    if [[ -z $uid || -z $gid ]]; then
        say "left     $path owned by $(stat -c %U:%G "$path"): no $owner:$group there"
        return 0
    fi
    if [[ $(stat -c %u:%g "$path") != "$uid:$gid" ]]; then
        chown "$uid:$gid" "$path"
        say "chowned  $path to $owner:$group"
        changed=$((changed + 1))
    fi
}

# directory PATH MODE OWNER GROUP
directory() {
    local path=$1 mode=$2
    if [[ ! -d $path ]]; then
        install -d -m "$mode" "$path"
        say "created  $path"
        changed=$((changed + 1))
    elif [[ $(stat -c %a "$path") != "${mode#0}" ]]; then
        chmod "$mode" "$path"
        say "chmod    $path to $mode"
        changed=$((changed + 1))
    fi
    own "$path" "$3" "$4"
}

install_system() {
    if [[ -z $root ]] && ((EUID != 0)); then
        die "installing the system service needs root (or --user for a user service)"
    fi
    pick_bin /usr/local/bin/triage
    case $bin in
        /home/* | /root/* | /run/user/*)
            echo "warning: $bin is under a home directory, which ProtectHome=yes hides from" \
                "the service; install triage elsewhere (e.g. a venv in /opt/triage)" >&2
            ;;
    esac
    echo "Installing the triage system service into ${root:-/} (ExecStart: $bin)"
    ensure_system_user
    directory "$root/etc/triage" 0750 root triage
    directory "$root/var/lib/triage" 0700 triage triage
    if env_file "$root/etc/triage/triage.env" 0640; then
        own "$root/etc/triage/triage.env" root triage
    fi
    install -d "$root/etc/systemd/system"
    unit "$here/triage.service" "$root/etc/systemd/system/triage.service"
    unit "$here/triage@.service" "$root/etc/systemd/system/triage@.service"

    if [[ -z $root && -d /run/systemd/system ]] && ((changed)); then
        systemctl daemon-reload
        say "reloaded systemd"
    fi
    local store="/etc/credstore/triage.NAME (mode 0600)."
    if [[ $encrypted == yes ]]; then
        store="/etc/credstore.encrypted/triage.NAME, written with
     systemd-creds encrypt --name=NAME - /etc/credstore.encrypted/triage.NAME"
    fi
    cat <<EOF

Next steps:
  1. Fill in /etc/triage/triage.env. Keep passwords out of it: put each
     (NAME: imap-password, smtp-password, oauth2-refresh-token, oauth2-client-secret) in
     $store
  2. Run triage as the service does (its user, database, settings and credentials):
       alias triage-svc='sudo -u triage env STATE_DIRECTORY=/var/lib/triage \\
         CREDENTIALS_DIRECTORY=/run/credentials/triage.service \\
         $bin --env-file /etc/triage/triage.env'
  3. systemctl enable --now triage
  4. journalctl -u triage -f      (a wrong setting is listed here at start-up)
  5. triage-svc doctor            (servers, folders, model, database)
  6. triage-svc review            (approve, edit or reject the drafts)
The credentials directory exists while the service runs; before that, doctor and review
see only the env file. More mailboxes: /etc/triage/NAME.env and
'systemctl enable --now triage@NAME'.
EOF
}

if [[ $user_mode == yes ]]; then
    install_user
else
    install_system
fi
if ((changed == 0)); then
    echo "Nothing to change: triage was already installed this way."
fi
