-- The limit: bare DuckDB loading CloudTrail events from gzipped JSON lines into a flat table.
-- Explicit columns, so DuckDB neither samples the files for a schema nor keeps what the
-- events table does not: the caller's identity is a struct of the fields the warehouse uses.
create table events as
select
    eventTime as event_time,
    eventName as event_name,
    eventSource as event_source,
    eventID as event_id,
    eventType as event_type,
    readOnly as read_only,
    errorCode as error_code,
    recipientAccountId as account_id,
    awsRegion as region,
    sourceIPAddress as source_ip,
    userAgent as user_agent,
    userIdentity.type as principal_type,
    userIdentity.arn as principal_arn,
    userIdentity.accessKeyId as access_key_id,
    userIdentity.sessionContext.sessionIssuer.arn as issuer_arn,
    userIdentity.sessionContext.attributes.mfaAuthenticated as mfa_authenticated,
    tlsDetails.clientProvidedHostHeader as target_host
from read_ndjson(
    $files,
    columns = {
        eventTime: 'timestamptz',
        eventName: 'varchar',
        eventSource: 'varchar',
        eventID: 'varchar',
        eventType: 'varchar',
        readOnly: 'boolean',
        errorCode: 'varchar',
        recipientAccountId: 'varchar',
        awsRegion: 'varchar',
        sourceIPAddress: 'varchar',
        userAgent: 'varchar',
        userIdentity: 'struct(type varchar, arn varchar, accessKeyId varchar, sessionContext struct(sessionIssuer struct(arn varchar), attributes struct(mfaAuthenticated varchar)))',
        tlsDetails: 'struct(clientProvidedHostHeader varchar)'
    }
);
