-- nhi_human_use: a non-human identity used the way a person works, in the $window_days
-- before $as_of: a console sign-in, a browser user agent, or a session signed in with MFA.
-- Judged for non-human identities that the audit log shows acting in the window. The
-- evidence lists the first 20 such events.
with acting as (
    select
        e.identity_id,
        count(*) as calls,
        count(*) filter (
            where e.event_name = 'ConsoleLogin'
               or e.user_agent like 'Mozilla/%'
               or e.mfa_authenticated
        ) as human_calls,
        count(*) filter (where e.event_name = 'ConsoleLogin') as console_logins,
        count(*) filter (where e.user_agent like 'Mozilla/%') as browser_calls,
        count(*) filter (where e.mfa_authenticated) as mfa_calls,
        list(e.event_id order by e.event_time) filter (
            where e.event_name = 'ConsoleLogin'
               or e.user_agent like 'Mozilla/%'
               or e.mfa_authenticated
        ) as event_ids
    from events as e
    where e.event_time <= $as_of
      and e.event_time > $as_of - to_days(cast($window_days as integer))
      and e.identity_id in (select identity_id from nonhuman_identities)
    group by e.identity_id
)
select
    'nhi_human_use' as check_id,
    a.identity_id as subject_id,
    case when a.human_calls > 0 then 'fail' else 'pass' end as status,
    coalesce(n.name, a.identity_id) || ' (' || n.kind || ') made ' || a.calls
    || ' calls in ' || $window_days || ' days'
    || case
        when a.human_calls > 0 then
            ', of them ' || a.console_logins || ' console sign-ins, ' || a.browser_calls
            || ' from a browser and ' || a.mfa_calls || ' in an MFA session'
        else ', none interactive'
    end as reason,
    case when a.human_calls > 0 then 'high' else 'info' end as severity,
    n.source_kind as source,
    null as secret_type,
    null as repository,
    a.identity_id,
    n.owner_id,
    n.team,
    coalesce(array_to_string(a.event_ids[1:20], ' '), '') as evidence
from acting as a
join nonhuman_identities as n
    on n.identity_id = a.identity_id
order by status, a.identity_id
