#!/bin/sh
# Starts as root, as the official image does, to read the password secret (which only root may
# read) and own the data folder; PostgreSQL itself runs as postgres. First start: a cluster whose
# superuser is $POSTGRES_USER with that password (scram-sha-256 over the network), and the
# database $POSTGRES_DB.
set -eu
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password_file=$(mktemp)
  tr -d '\n' < "$POSTGRES_PASSWORD_FILE" > "$password_file"
  chown postgres "$password_file"
  as_postgres initdb --username="$POSTGRES_USER" --pwfile="$password_file" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 > /dev/null
  rm -f "$password_file"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -o "-c listen_addresses=''" -w start > /dev/null
  as_postgres createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
  as_postgres pg_ctl -m fast -w stop > /dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -c listen_addresses='*'
