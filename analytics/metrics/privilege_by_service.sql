-- Granted and used actions per identity and service, from privilege_granted and
-- privilege_used: what an identity may do in a service against what it did there. Only
-- identities whose use can be judged (privilege_identities: logs cover their account, older
-- than the window), so that "never used" means unused, not unseen.
select
    g.identity_id,
    g.service,
    count(*) as granted_actions,
    count(u.action) as used_actions,
    coalesce(sum(u.calls), 0) as calls,
    max(u.last_used) as last_used
from privilege_granted as g
left join privilege_used as u
    on u.identity_id = g.identity_id
   and u.action = g.action
where g.identity_id in (
    select identity_id
    from privilege_identities
    where logs_cover
      and older_than_window
)
group by all
order by g.identity_id, g.service
