-- iam_action(action): the IAM action an audit event's action stands for, lower-cased.
-- CloudTrail names a call by its event source, which for a few services is not the prefix
-- that IAM policies use for it (CloudWatch logs as "monitoring", SES as "email", the tagging
-- API as "tagging").
create or replace temp macro iam_action(action) as
    case split_part(lower(action), ':', 1)
        when 'monitoring' then 'cloudwatch:' || split_part(lower(action), ':', 2)
        when 'email' then 'ses:' || split_part(lower(action), ':', 2)
        when 'tagging' then 'tag:' || split_part(lower(action), ':', 2)
        else lower(action)
    end
