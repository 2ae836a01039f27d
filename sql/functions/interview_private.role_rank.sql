-- The order of the profile roles, for "no one gains a role above the
-- inviter's": admin (4) > merchant_owner (3) > merchant (2) > candidate (1).
-- An inviter may grant a role of at most their own rank (an owner may invite
-- owners, as basejump's owners may); an owner removes members of at most
-- their own rank.
create or replace function interview_private.role_rank(p_role public.profile_role)
returns integer
language plpgsql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
begin
  return case p_role
    when 'admin' then 4
    when 'merchant_owner' then 3
    when 'merchant' then 2
    when 'candidate' then 1
  end;
end
$$;

comment on function interview_private.role_rank(public.profile_role) is
  $comment$The rank of a profile role: admin 4, merchant_owner 3, merchant 2, candidate 1.

Invitations grant a role of at most the inviter's rank; members are removed by an owner or admin of at least their rank.$comment$;

revoke all on function interview_private.role_rank(public.profile_role) from public;
