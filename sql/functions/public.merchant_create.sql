-- POST /rest/v1/rpc/merchant_create: a platform admin creates a merchant (a
-- sub-merchant with parent_merchant_id). Owners then invite its members with
-- merchant_invitation_create. The cycle rule of merchants
-- (interview_private.merchants_forbid_cycles) applies as for any insert.
--
-- SECURITY DEFINER: it inserts into public.merchants, on which API roles have
-- no write rights. Meant for signed-in users (admins): splinter's
-- authenticated_security_definer_function_executable WARN is expected here.
create or replace function public.merchant_create(
  name jsonb default null,
  parent_merchant_id jsonb default null,
  coaching_enabled jsonb default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text;
  v_parent_id uuid;
  v_coaching boolean := false;
  v_merchant_id uuid;
begin
  -- The upgrade gate (interview_private.upgrade_gate): a call that waited for
  -- an upgrade runs the new release's function.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(7597137600481485927) then
    perform interview_private.upgrade_gate();
    return public.merchant_create(name => $1, parent_merchant_id => $2, coaching_enabled => $3);
  end if;
  perform interview_private.authorize_caller('create_merchant');

  v_name := interview_private.text_argument(merchant_create.name, 'name', 'the merchant''s name, 1 to 200 characters');
  if v_name is null or pg_catalog.char_length(v_name) not between 1 and 200 then
    perform interview_private.raise_invalid('name', 'name must be 1 to 200 characters', 'the merchant''s name');
  end if;

  v_parent_id := interview_private.uuid_argument(merchant_create.parent_merchant_id, 'parent_merchant_id');
  if v_parent_id is not null and not exists (select from public.merchants as m where m.id = v_parent_id) then
    perform interview_private.raise_invalid(
      'parent_merchant_id', pg_catalog.format('parent_merchant_id %s names no merchant', v_parent_id),
      'the id of an existing merchant, or null for a top-level merchant');
  end if;

  if coaching_enabled is not null and pg_catalog.jsonb_typeof(coaching_enabled) <> 'null' then
    if pg_catalog.jsonb_typeof(coaching_enabled) <> 'boolean' then
      perform interview_private.raise_invalid(
        'coaching_enabled', 'coaching_enabled must be true or false', 'a JSON boolean; default false');
    end if;
    v_coaching := (coaching_enabled)::boolean;
  end if;

  insert into public.merchants (name, parent_merchant_id, coaching_enabled)
  values (v_name, v_parent_id, v_coaching)
  returning id into v_merchant_id;

  return pg_catalog.jsonb_build_object(
    'merchant_id', v_merchant_id,
    'name', v_name,
    'parent_merchant_id', v_parent_id,
    'coaching_enabled', v_coaching
  );
end
$$;

comment on function public.merchant_create(jsonb, jsonb, jsonb) is
  $comment$Create a merchant (platform admins only).

Body: name (1 to 200 characters), parent_merchant_id (optional: makes a sub-merchant), coaching_enabled (optional boolean, default false). Returns {merchant_id, name, parent_merchant_id, coaching_enabled}. Errors: 401 without a signed-in user, 403 for anyone but a platform admin, 422 for an invalid field.$comment$;

revoke all on function public.merchant_create(jsonb, jsonb, jsonb) from public, anon, service_role;
grant execute on function public.merchant_create(jsonb, jsonb, jsonb) to authenticated;
