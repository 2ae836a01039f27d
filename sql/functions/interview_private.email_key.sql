-- An email address as it is compared: trimmed, with A-Z lowercased and nothing
-- else changed. Not lower(): under the database's collation lower() folds
-- non-ASCII letters too (the Kelvin sign K to k, the dotted capital I to i),
-- so bob@v\u0130ctim.example would match bob@victim.example and an invitation
-- could be accepted, or a member added, by the owner of a look-alike address.
-- The invitations' accept and `interview-db member add --email` both compare
-- email_key(a) = email_key(b).
create or replace function interview_private.email_key(p_email text)
returns text
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return pg_catalog.translate(pg_catalog.btrim(p_email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
end
$$;

comment on function interview_private.email_key(text) is
  $comment$An email address as compared: trimmed, ASCII letters lowercased, every other character kept as it is.

Used where an address is matched (merchant_invitation_accept, interview-db member add): exact comparison after an ASCII-only lowercase, so that lower()'s Unicode folds (Kelvin sign, dotted capital I) cannot make a look-alike address match.$comment$;

revoke all on function interview_private.email_key(text) from public;
