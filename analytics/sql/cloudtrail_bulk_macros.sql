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
