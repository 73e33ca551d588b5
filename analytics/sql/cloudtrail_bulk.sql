-- CloudTrail delivery files to `events` rows, set-wise. analytics/ingest/cloudtrail_bulk.py
-- runs this on a group of files ($files, in order), each read whole or from its staged
-- Records array; the rules are those of analytics/ingest/cloudtrail.py, which stays their
-- definition.
-- A record is `regular` when these columns are exactly what the Python adapter would make of
-- it. A file holding any other record goes to the Python adapter whole: a field of another
-- JSON type than CloudTrail writes, padded text, an event time in another format than
-- CloudTrail's own, another tool's field names, an identity with neither type nor ARN, a
-- non-ASCII ARN. Real trails are regular.
create or replace temp table ct_rows as
with items as (
    -- Each record of the group's files, with its file's place in the group (file_no) and
    -- whether the file is one Records document (whole); in file order. ct_items is
    -- ct_documents or ct_arrays (cloudtrail_bulk_macros.sql), as the group was staged.
    select
        file_no,
        whole,
        r.*
    from ct_items($files, $names, $sizes, $max_object_bytes)
),
texts as (
    -- The text fields that the odd check below looks at, joined by \x01 (absent ones left
    -- out): the record's own, and its identity's with the TLS host header.
    select
        *,
        concat_ws(
            chr(1), eventTime, eventName, eventSource, eventID, eventType, errorCode,
            awsRegion, sourceIPAddress, userAgent, recipientAccountId
        ) as top_text,
        concat_ws(
            chr(1), userIdentity."type", userIdentity.arn, userIdentity.accountId,
            userIdentity.accessKeyId, userIdentity.access_key_id, userIdentity.userName,
            userIdentity.principalId, userIdentity.invokedBy,
            userIdentity.sessionContext.sessionIssuer.arn,
            userIdentity.session_context.session_issuer.arn,
            tlsDetails.clientProvidedHostHeader
        ) as identity_text
    from items
),
fields as (
    select
        *,
        -- Another tool's field names: the Python adapter knows where they lead.
        coalesce(
            "@timestamp", "timestamp", p_event_time, "date", evt, "event",
            network, "source", http, user_agent, cloud, aws, message,
            content, "attributes", detail, "log", "evt.name", "event.action",
            "aws.cloudtrail.event_name", "event.provider", "aws.cloudtrail.event_source",
            "event.id", "aws.cloudtrail.event_id", "network.client.ip", "source.ip",
            "source.address", "http.useragent", "user_agent.original",
            "cloud.region", "cloud.account.id", "aws.cloudtrail.error_code",
            "aws.cloudtrail.event_type", "aws.cloudtrail.request_id", "http.request_id"
        ) is not null as from_elsewhere,
        -- Text the adapter would read otherwise, told by patterns over the fields joined by
        -- \x01: padding (stripped there); for the fields it reads with str(value).strip(), a
        -- JSON boolean (written "True" there); an object or an array (rejected there), which
        -- a string may only look like: S3 writes user agents as "[S3Console/0.4, ...]".
        -- One pattern over all the fields finds the few records that may be any of these
        -- (white space or a bracket at the start of a field, white space at its end, a
        -- field "true" or "false"); only those are looked at closely, which is most of the
        -- cost otherwise.
        case
            when regexp_matches(
                concat_ws(chr(1), top_text, identity_text),
                '(^|\x01)([\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}{\[]|(true|false)(\x01|$))|[\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}](\x01|$)'
            )
                then
                regexp_matches(
                    top_text,
                    '(^|\x01)([\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]|(true|false)(\x01|$))|[\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}](\x01|$)'
                )
                or regexp_matches(
                    identity_text,
                    '(^|\x01)[\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]|[\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}](\x01|$)'
                )
                or (
                    ct_json(eventTime) or ct_json(eventName) or ct_json(eventSource)
                    or ct_json(eventID) or ct_json(eventType) or ct_json(errorCode)
                    or ct_json(awsRegion) or ct_json(sourceIPAddress) or ct_json(userAgent)
                    or ct_json(recipientAccountId) or ct_json(userIdentity."type")
                    or ct_json(userIdentity.arn) or ct_json(userIdentity.accountId)
                    or ct_json(userIdentity.accessKeyId) or ct_json(userIdentity.access_key_id)
                    or ct_json(userIdentity.userName) or ct_json(userIdentity.principalId)
                    or ct_json(userIdentity.invokedBy)
                    or ct_json(userIdentity.sessionContext.sessionIssuer.arn)
                    or ct_json(userIdentity.session_context.session_issuer.arn)
                    or ct_json(tlsDetails.clientProvidedHostHeader)
                )
            else false
        end as odd,
        nullif(eventName, '') as event_name,
        nullif(eventSource, '') as event_source,
        nullif(eventID, '') as event_id,
        ct_text(userIdentity.arn) as principal_arn,
        ct_text(userIdentity."type") as principal_type,
        coalesce(
            ct_text(userIdentity.sessionContext.sessionIssuer.arn),
            ct_text(userIdentity.session_context.session_issuer.arn)
        ) as issuer,
        -- Resource: the first resource ARN, else the first request parameter that names one.
        list_first(
            list_filter(
                list_transform(
                    resources,
                    lambda r: coalesce(nullif(r ->> '$.ARN', ''), nullif(r ->> '$.arn', ''))
                ),
                lambda a: a is not null
            )
        ) as resource_arn,
        coalesce(
            nullif(requestParameters.bucketName, ''),
            nullif(requestParameters.secretId, ''),
            nullif(requestParameters.roleArn, ''),
            nullif(requestParameters.roleName, ''),
            nullif(requestParameters.userName, ''),
            nullif(requestParameters.groupName, ''),
            nullif(requestParameters.policyArn, ''),
            nullif(requestParameters.functionName, ''),
            nullif(requestParameters.instanceId, ''),
            nullif(requestParameters.keyId, ''),
            nullif(requestParameters.tableName, ''),
            nullif(requestParameters.snapshotId, ''),
            nullif(requestParameters.dBSnapshotIdentifier, ''),
            nullif(requestParameters.trailName, ''),
            nullif(requestParameters.logGroupName, ''),
            nullif(requestParameters.repositoryName, ''),
            nullif(requestParameters.clusterName, ''),
            nullif(requestParameters.stackName, ''),
            nullif(requestParameters.queueUrl, ''),
            nullif(requestParameters.topicArn, ''),
            nullif(requestParameters.accessKeyId, ''),
            nullif(requestParameters."name", '')
        ) as parameter,
        case
            when starts_with(requestParameters.instancesSet.items, '[')
                then requestParameters.instancesSet.items ->> '$[0].instanceId'
        end as instance,
        coalesce(
            nullif(requestParameters.accessKeyId, ''), responseElements.accessKey.accessKeyId
        ) as lifecycle_key
    from texts
),
mapped as (
    select
        *,
        case
            when eventTime like '____-__-__T__:__:__Z' and eventTime > '0002'
                then try_strptime(eventTime, '%Y-%m-%dT%H:%M:%SZ')
        end as event_time,
        case
            when contains(principal_arn, ':assumed-role/')
                then regexp_extract(
                    principal_arn,
                    '^arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$',
                    ['partition', 'account', 'role', 'session']
                )
        end as assumed,
        list_contains(['CreateAccessKey', 'UpdateAccessKey', 'DeleteAccessKey'], event_name)
            as lifecycle
    from fields
),
shaped as (
    select
        file_no,
            whole
            and not from_elsewhere
            and not odd
            and event_name is not null
            and event_id is not null
            and event_time is not null
            and (principal_type is not null or principal_arn is not null)
            and strlen(coalesce(principal_arn, '')) = length(coalesce(principal_arn, ''))
            and strlen(coalesce(principal_type, '')) = length(coalesce(principal_type, ''))
            -- Values the adapter takes only when they are JSON strings.
            and not coalesce(ct_not_string(resource_arn), false)
            and not coalesce(resource_arn is null and ct_not_string(parameter), false)
            and not coalesce(
                resource_arn is null and parameter is null and ct_not_string(instance), false
            )
            and not coalesce(
                lifecycle and (
                    ct_not_string(lifecycle_key)
                    or ct_not_string(requestParameters.status)
                    or ct_not_string(requestParameters.userName)
                ),
                false
            )
            as regular,
        event_id,
        'cloudtrail' as source_kind,
        event_time::timestamptz as event_time,
        split_part(event_source, '.', 1) as service,
        event_name,
        case
            when split_part(event_source, '.', 1) <> ''
                then split_part(event_source, '.', 1) || ':' || event_name
            else event_name
        end as action,
        nullif(eventType, '') as event_type,
        case lower(readOnly) when 'true' then true when 'false' then false end as read_only,
        case
            when nullif(errorCode, '') is not null then 'failure'
            when lower(responseElements.ConsoleLogin) = 'failure' then 'failure'
            else 'success'
        end as outcome,
        nullif(errorCode, '') as error_code,
        case
            when assumed.role <> ''
                then coalesce(
                    issuer,
                    'arn:' || assumed.partition || ':iam::' || assumed.account || ':role/'
                    || assumed.role
                )
            when principal_type = 'FederatedUser' and issuer is not null then issuer
            when principal_arn is not null then principal_arn
            when principal_type = 'AWSService'
                then 'aws-service:' || ct_text(userIdentity.invokedBy)
            when principal_type = 'AWSAccount'
                then coalesce(
                    'aws-account:' || coalesce(
                        ct_text(userIdentity.accountId), ct_text(userIdentity.principalId)
                    ),
                    'anonymous'
                )
            else
                coalesce(lower(principal_type), 'unknown') || ':' || coalesce(
                    ct_text(userIdentity.userName), ct_text(userIdentity.principalId)
                )
        end as identity_id,
        principal_type,
        principal_arn,
        case
            when assumed.role <> '' then assumed.session
            when principal_type = 'FederatedUser' and issuer is not null
                then ct_text(userIdentity.userName)
        end as session_name,
        coalesce(
            ct_text(userIdentity.accessKeyId), ct_text(userIdentity.access_key_id)
        ) as access_key_id,
        case
            when userIdentity.sessionContext."attributes".mfaAuthenticated is not null
                then list_contains(
                    ['true', 'yes'], lower(userIdentity.sessionContext."attributes".mfaAuthenticated)
                )
            when additionalEventData.MFAUsed is not null
                then list_contains(['true', 'yes'], lower(additionalEventData.MFAUsed))
        end as mfa_authenticated,
        coalesce(
            nullif(recipientAccountId, ''), ct_text(userIdentity.accountId)
        ) as account_id,
        nullif(awsRegion, '') as region,
        nullif(sourceIPAddress, '') as source_ip,
        nullif(userAgent, '') as user_agent,
        ct_text(tlsDetails.clientProvidedHostHeader) as target_host,
        coalesce(left(resource_arn, 512), left(parameter, 512), instance) as resource,
        case
            when lifecycle
                then nullif(
                    concat_ws(
                        ';',
                        'access_key_id=' || lifecycle_key,
                        'status=' || requestParameters.status,
                        'user_name=' || requestParameters.userName
                    ),
                    ''
                )
        end as detail,
        null::varchar as task_id,
        null::varchar as grant_id
    from mapped
)
select * from shaped
