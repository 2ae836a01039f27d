#!/usr/bin/env bash
# Create an interview through PostgREST with curl.
#   SUPABASE_URL=https://<ref>.supabase.co SUPABASE_ANON_KEY=... ACCESS_TOKEN=<a user's JWT> ./curl.sh
# The anon key identifies the project; the user's access token is the caller (auth.uid()).
set -euo pipefail
cd "$(dirname "$0")"
curl --fail-with-body -sS \
  -X POST "${SUPABASE_URL}/rest/v1/rpc/job_interview_create_from_array" \
  -H "apikey: ${SUPABASE_ANON_KEY}" \
  -H "Authorization: Bearer ${ACCESS_TOKEN}" \
  -H "Content-Type: application/json" \
  --data @create-interview.json
echo
