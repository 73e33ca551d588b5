-- Identities of the last snapshot that the first snapshot of their account lists too, in
-- accounts with two snapshots or more.
select count(distinct identity_id)
from privilege_snapshots
where snapshots >= 2
  and snapshot_no = snapshots
  and identity_id in (
      select identity_id
      from privilege_snapshots
      where snapshot_no = 1
  )
