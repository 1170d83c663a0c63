#!/bin/bash
# Removes TokenTally from this Mac. Installed by the package as
#   /Library/Application Support/TokenTally/uninstall.sh
# Run as root:
#   sudo "/Library/Application Support/TokenTally/uninstall.sh" [--purge-user-data]
#
# Removes the app, its LaunchAgents, the `tokentally` link and the package
# receipt. Each employee's own data (the ledger, their settings, the device
# token in their login keychain) is kept unless --purge-user-data is given.
# The managed configuration profile is never touched: it is installed and
# removed by your MDM.

set -euo pipefail

readonly APP="/Applications/TokenTally.app"
readonly LINK="/usr/local/bin/tokentally"
readonly SUPPORT="/Library/Application Support/TokenTally"
readonly PKG_ID="com.tokentally.agent.pkg"
readonly KEYCHAIN_SERVICE="TokenTally"
readonly LABELS="com.tokentally.agent.launcher com.tokentally.agent.headless"

usage() {
    cat <<'USAGE'
Usage: sudo "/Library/Application Support/TokenTally/uninstall.sh" [--purge-user-data]

Removes TokenTally.app, its LaunchAgents, /usr/local/bin/tokentally and the
package receipt, for every user of this Mac.

  --purge-user-data  also delete each user's TokenTally data
                     (~/Library/Application Support/tokentally: the ledger,
                     their settings, the logs) and the device token in the
                     login keychain of every user who is logged in
  -h, --help         this text

The TokenTally configuration profile (the managed policy) is not removed:
remove it from your MDM.
USAGE
}

purge=0
while [ $# -gt 0 ]; do
    case "$1" in
        --purge-user-data) purge=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "uninstall.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$(uname -s)" != "Darwin" ]; then
    echo "uninstall.sh removes TokenTally from a Mac; this is $(uname -s)." >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh must run as root: sudo \"$0\" $*" >&2
    exit 1
fi

# The uids of users with a graphical session: one loginwindow per session.
gui_uids() {
    {
        /bin/ps -axo uid=,comm= | /usr/bin/awk '$2 ~ /\/loginwindow$/ { print $1 }'
        /usr/bin/stat -f %u /dev/console 2>/dev/null || true
    } | /usr/bin/awk '$1 >= 500' | /usr/bin/sort -un
}

# Local user accounts (uid >= 500) as "uid name", one a line.
users() {
    /usr/bin/dscl . -list /Users UniqueID | /usr/bin/awk '$2 >= 500 { print $2, $1 }'
}

home_of() {
    /usr/bin/dscl . -read "/Users/$1" NFSHomeDirectory 2>/dev/null \
        | /usr/bin/sed -n 's/^NFSHomeDirectory: //p'
}

is_logged_in() {
    case " $(gui_uids | /usr/bin/tr '\n' ' ') " in
        *" $1 "*) return 0 ;;
        *) return 1 ;;
    esac
}

echo "== stopping TokenTally"
for uid in $(gui_uids); do
    # The app's own start-at-login entry (~/Library/LaunchAgents/TokenTally.plist)
    # is labelled TokenTally.
    for label in $LABELS TokenTally; do
        /bin/launchctl bootout "gui/$uid/$label" >/dev/null 2>&1 || true
        /bin/launchctl bootout "user/$uid/$label" >/dev/null 2>&1 || true
    done
done
/usr/bin/pkill -x tokentally-app >/dev/null 2>&1 || true
waited=0
while /usr/bin/pgrep -x tokentally-app >/dev/null 2>&1 && [ "$waited" -lt 10 ]; do
    sleep 1
    waited=$((waited + 1))
done
/usr/bin/pkill -KILL -x tokentally-app >/dev/null 2>&1 || true

echo "== removing the app, its LaunchAgents and the tokentally link"
for label in $LABELS; do
    /bin/rm -f "/Library/LaunchAgents/$label.plist"
done
/bin/rm -rf "$APP"
if [ -L "$LINK" ]; then
    case "$(/usr/bin/readlink "$LINK")" in
        "$APP"/*) /bin/rm -f "$LINK" ;;
        *) echo "   $LINK points elsewhere; left as it is" ;;
    esac
fi
/usr/sbin/pkgutil --forget "$PKG_ID" >/dev/null 2>&1 || true

# Per user: the app's start-at-login entry (it points at the app just
# removed) and the webview's caches go in any case; the data only with
# --purge-user-data.
kept=""
while read -r uid name; do
    [ -n "$name" ] || continue
    home="$(home_of "$name")"
    if [ -z "$home" ] || [ ! -d "$home" ]; then
        continue
    fi

    entry="$home/Library/LaunchAgents/TokenTally.plist"
    if [ -f "$entry" ] && /usr/bin/grep -q "TokenTally.app" "$entry"; then
        /bin/rm -f "$entry"
    fi
    /bin/rm -rf "$home/Library/Caches/com.tokentally.agent" \
        "$home/Library/WebKit/com.tokentally.agent" \
        "$home/Library/HTTPStorages/com.tokentally.agent" \
        "$home/Library/Saved Application State/com.tokentally.agent.savedState"

    data="$home/Library/Application Support/tokentally"
    if [ "$purge" -eq 0 ]; then
        [ -d "$data" ] && kept="$kept
   $data"
        continue
    fi

    echo "== purging the data of $name"
    /bin/rm -rf "$data" \
        "$home/Library/Application Support/com.tokentally.agent" \
        "$home/Library/Preferences/com.tokentally.agent.plist"
    if is_logged_in "$uid"; then
        # The device token: one generic password per enrolment, service
        # TokenTally, in the user's login keychain. delete-generic-password
        # deletes one match at a time.
        deleted=0
        while [ "$deleted" -lt 100 ] && /bin/launchctl asuser "$uid" \
            /usr/bin/sudo -u "$name" /usr/bin/security delete-generic-password \
            -s "$KEYCHAIN_SERVICE" >/dev/null 2>&1; do
            deleted=$((deleted + 1))
        done
        echo "   $deleted keychain item(s) \"$KEYCHAIN_SERVICE\" deleted"
    else
        echo "   $name is not logged in, so their login keychain is locked:" \
            "the device token (keychain item \"$KEYCHAIN_SERVICE\") is still there." \
            "They can delete it in Keychain Access, or with:" \
            "security delete-generic-password -s $KEYCHAIN_SERVICE"
    fi
done <<EOF_USERS
$(users)
EOF_USERS

# Last: this script's own folder (bash keeps the script open, so it runs on).
/bin/rm -rf "$SUPPORT"

echo
echo "TokenTally is removed."
if [ "$purge" -eq 0 ]; then
    if [ -n "$kept" ]; then
        echo "Employee data was kept (ledger, settings, logs):$kept"
    else
        echo "No employee data was found."
    fi
    echo "Device tokens were kept in each user's login keychain (item \"$KEYCHAIN_SERVICE\")."
    echo "To delete them too, run again with --purge-user-data."
fi
if [ -e "/Library/Managed Preferences/com.tokentally.agent.plist" ]; then
    echo "The TokenTally policy (a configuration profile) is still installed:" \
        "remove the profile from your MDM."
else
    echo "Configuration profiles are not removed by this script: that is your MDM's job."
fi
