-- Helpers of cloudtrail_bulk.sql. json_transform hands each field over as text: a string as
-- its value, any other JSON value as its JSON text ('{"a":1}', 'true', '12'), null as NULL.
-- Each helper tells when that text is exactly what analytics/ingest/fields.py would make of
-- the value, and when only the Python adapter can decide.

-- An object or an array where text belongs: text that opens like one and is valid JSON.
create or replace temp macro ct_json(v) as
    coalesce(list_contains(['{', '['], left(v, 1)) and json_valid(v), false);

-- A value the adapter takes only when it is a JSON string: anything that reads as another
-- JSON value (an object, an array, a boolean, a number) may not have been one.
create or replace temp macro ct_not_string(v) as
    ct_json(v) or list_contains(['true', 'false', 'null'], v)
    or try_cast(v as double) is not null;

-- fields.text(): the markers of a missing value read as NULL.
create or replace temp macro ct_text(v) as case
    when list_contains(['', 'N/A', 'n/a', 'not_supported', 'no_information', 'null', 'None'], v)
        then null
    else v
end;

-- A CloudTrail record as cloudtrail_bulk.sql reads it: json_transform's structure of the
-- fields the adapter uses (each as text, see above), then the field names of other tools,
-- only to tell that a record carries one (where the adapter would look).
create or replace temp macro ct_record() as '{
    "eventTime": "VARCHAR", "eventName": "VARCHAR", "eventSource": "VARCHAR",
    "eventID": "VARCHAR", "eventType": "VARCHAR", "readOnly": "VARCHAR",
    "errorCode": "VARCHAR", "awsRegion": "VARCHAR", "sourceIPAddress": "VARCHAR",
    "userAgent": "VARCHAR", "recipientAccountId": "VARCHAR",
    "userIdentity": {
        "type": "VARCHAR", "arn": "VARCHAR", "accountId": "VARCHAR",
        "accessKeyId": "VARCHAR", "access_key_id": "VARCHAR", "userName": "VARCHAR",
        "principalId": "VARCHAR", "invokedBy": "VARCHAR",
        "sessionContext": {
            "sessionIssuer": {"arn": "VARCHAR"},
            "attributes": {"mfaAuthenticated": "VARCHAR"}
        },
        "session_context": {"session_issuer": {"arn": "VARCHAR"}}
    },
    "tlsDetails": {"clientProvidedHostHeader": "VARCHAR"},
    "responseElements": {"ConsoleLogin": "VARCHAR", "accessKey": {"accessKeyId": "VARCHAR"}},
    "additionalEventData": {"MFAUsed": "VARCHAR"},
    "resources": ["JSON"],
    "requestParameters": {
        "bucketName": "VARCHAR", "secretId": "VARCHAR", "roleArn": "VARCHAR",
        "roleName": "VARCHAR", "userName": "VARCHAR", "groupName": "VARCHAR",
        "policyArn": "VARCHAR", "functionName": "VARCHAR", "instanceId": "VARCHAR",
        "keyId": "VARCHAR", "tableName": "VARCHAR", "snapshotId": "VARCHAR",
        "dBSnapshotIdentifier": "VARCHAR", "trailName": "VARCHAR", "logGroupName": "VARCHAR",
        "repositoryName": "VARCHAR", "clusterName": "VARCHAR", "stackName": "VARCHAR",
        "queueUrl": "VARCHAR", "topicArn": "VARCHAR", "accessKeyId": "VARCHAR",
        "name": "VARCHAR", "status": "VARCHAR",
        "instancesSet": {"items": "JSON"}
    },
    "@timestamp": "VARCHAR", "timestamp": "VARCHAR", "p_event_time": "VARCHAR",
    "date": "VARCHAR", "evt": "VARCHAR", "event": "VARCHAR", "network": "VARCHAR",
    "source": "VARCHAR", "http": "VARCHAR", "user_agent": "VARCHAR", "cloud": "VARCHAR",
    "aws": "VARCHAR", "message": "VARCHAR", "content": "VARCHAR", "attributes": "VARCHAR",
    "detail": "VARCHAR", "log": "VARCHAR", "evt.name": "VARCHAR", "event.action": "VARCHAR",
    "aws.cloudtrail.event_name": "VARCHAR", "event.provider": "VARCHAR",
    "aws.cloudtrail.event_source": "VARCHAR", "event.id": "VARCHAR",
    "aws.cloudtrail.event_id": "VARCHAR", "network.client.ip": "VARCHAR",
    "source.ip": "VARCHAR", "source.address": "VARCHAR", "http.useragent": "VARCHAR",
    "user_agent.original": "VARCHAR", "cloud.region": "VARCHAR",
    "cloud.account.id": "VARCHAR", "aws.cloudtrail.error_code": "VARCHAR",
    "aws.cloudtrail.event_type": "VARCHAR", "aws.cloudtrail.request_id": "VARCHAR",
    "http.request_id": "VARCHAR"
}';

-- The records of whole delivery files, read and decompressed by DuckDB itself, numbered by
-- the file's place in the group, `names` (file_no), and in file order; `files` are those of
-- the group to read. A document is `whole` when Records, an array, is its only key and the
-- document is the file's JSON but for at most 8 bytes of white space (its length against
-- the file's JSON size, `sizes`): two documents of one file cannot both be whole, each
-- being at least 14 bytes. Any other document stands as one NULL record, so that its file
-- goes to the adapter even when it holds no records. The staged arrays below are whole by
-- construction.
create or replace temp macro ct_documents(files, names, sizes, max_bytes) as table
select
    file_no,
    whole,
    unnest(case when whole then records else [null] end, recursive := false) as r
from (
    select
        list_position(names, filename) - 1 as file_no,
        from_json(json, '{"Records": [' || ct_record() || ']}').Records as records,
        records is not null
        and json_keys(json) = ['Records']
        and sizes[file_no + 1] - strlen(json) between 0 and 8 as whole
    from read_json_objects(
        files,
        format = 'unstructured',
        filename = true,
        maximum_object_size = max_bytes
    )
);

-- The records of Records arrays that stage() wrote to work files, element by element.
create or replace temp macro ct_arrays(files, names, sizes, max_bytes) as table
select
    list_position(names, filename) - 1 as file_no,
    true as whole,
    from_json(json, ct_record()) as r
from read_json_objects(
    files,
    format = 'array',
    filename = true,
    maximum_object_size = max_bytes
);
