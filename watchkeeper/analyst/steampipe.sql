-- Postgres JSON idioms that Steampipe AWS queries use, as DuckDB macros, so those queries
-- run on watchkeeper's tables with little or no change. Everything is TEMP: the database
-- is opened read-only for analysts, and the temp catalog is the one place we may write.
--
-- Set-returning functions exist twice, as in Postgres: a scalar macro for the SELECT list
-- (`SELECT jsonb_array_elements(event_selectors) ->> 'ReadWriteType'`) and a table macro
-- for FROM (`FROM aws_cloudtrail_trail, jsonb_array_elements(event_selectors) AS s`); the
-- table form's single column is called `value`, like Postgres's.

-- `::jsonb` casts: jsonb is DuckDB's JSON type under the Postgres name.
CREATE OR REPLACE TEMP TYPE jsonb AS JSON;

CREATE OR REPLACE TEMP MACRO jsonb_array_elements(j) AS
    unnest(json_extract(j::JSON, '$[*]'));
CREATE OR REPLACE TEMP MACRO jsonb_array_elements(j) AS TABLE
    SELECT unnest(json_extract(j::JSON, '$[*]')) AS value;

CREATE OR REPLACE TEMP MACRO jsonb_array_elements_text(j) AS
    unnest(json_extract_string(j::JSON, '$[*]'));
CREATE OR REPLACE TEMP MACRO jsonb_array_elements_text(j) AS TABLE
    SELECT unnest(json_extract_string(j::JSON, '$[*]')) AS value;

CREATE OR REPLACE TEMP MACRO jsonb_object_keys(j) AS unnest(json_keys(j::JSON));
CREATE OR REPLACE TEMP MACRO jsonb_object_keys(j) AS TABLE
    SELECT unnest(json_keys(j::JSON)) AS value;

CREATE OR REPLACE TEMP MACRO jsonb_each(j) AS TABLE
    SELECT key, value FROM json_each(j::JSON);
CREATE OR REPLACE TEMP MACRO jsonb_each_text(j) AS TABLE
    SELECT key, json_extract_string(value, '$') AS value FROM json_each(j::JSON);

CREATE OR REPLACE TEMP MACRO jsonb_array_length(j) AS json_array_length(j::JSON);

-- Postgres names the JSON kinds differently from DuckDB's json_type().
CREATE OR REPLACE TEMP MACRO jsonb_typeof(j) AS
    CASE json_type(j::JSON)
        WHEN 'OBJECT' THEN 'object'
        WHEN 'ARRAY' THEN 'array'
        WHEN 'VARCHAR' THEN 'string'
        WHEN 'BOOLEAN' THEN 'boolean'
        WHEN 'NULL' THEN 'null'
        ELSE 'number'
    END;

-- Variadic in Postgres; one to three path elements cover what the AWS queries use.
-- Keys are quoted so names with dots or dashes stay one step.
CREATE OR REPLACE TEMP MACRO jsonb_extract_path(j, a) AS json_extract(j::JSON, '$."' || a || '"'),
    (j, a, b) AS json_extract(j::JSON, '$."' || a || '"."' || b || '"'),
    (j, a, b, c) AS json_extract(j::JSON, '$."' || a || '"."' || b || '"."' || c || '"');
CREATE OR REPLACE TEMP MACRO jsonb_extract_path_text(j, a) AS
        json_extract_string(j::JSON, '$."' || a || '"'),
    (j, a, b) AS json_extract_string(j::JSON, '$."' || a || '"."' || b || '"'),
    (j, a, b, c) AS json_extract_string(j::JSON, '$."' || a || '"."' || b || '"."' || c || '"');

CREATE OR REPLACE TEMP MACRO to_jsonb(x) AS to_json(x);
CREATE OR REPLACE TEMP MACRO jsonb_pretty(j) AS json_pretty(j::JSON);

-- Containment: `alarm_actions @> '["arn:…"]'`. DuckDB's own @> is list containment; this
-- overload compares as JSON, which gives the same answer for lists of scalars.
-- The same operators on an ltree path (aws_organizations_organizational_unit.path, text
-- that is not JSON) mean ancestor-or-self (@>) and descendant-or-self (<@).
CREATE OR REPLACE TEMP MACRO wk_ltree_under(a, b) AS a = b OR starts_with(a, b || '.');
CREATE OR REPLACE TEMP MACRO "@>"(a, b) AS
    CASE WHEN json_valid(a::VARCHAR) AND json_valid(b::VARCHAR)
        THEN json_contains(a::JSON, b::JSON) ELSE wk_ltree_under(b::VARCHAR, a::VARCHAR) END;
CREATE OR REPLACE TEMP MACRO "<@"(a, b) AS
    CASE WHEN json_valid(a::VARCHAR) AND json_valid(b::VARCHAR)
        THEN json_contains(b::JSON, a::JSON) ELSE wk_ltree_under(a::VARCHAR, b::VARCHAR) END;

-- ltree's nlevel(): the number of labels in a path.
CREATE OR REPLACE TEMP MACRO nlevel(p) AS len(string_split(p, '.'));

-- `j ? 'key'` (query.py rewrites the operator to this, Postgres's own name for it): a key of
-- an object, or a string element of an array, at the top level.
CREATE OR REPLACE TEMP MACRO jsonb_exists(j, k) AS
    CASE json_type(j::JSON)
        WHEN 'OBJECT' THEN list_contains(json_keys(j::JSON), k)
        WHEN 'ARRAY' THEN list_contains(json_extract_string(j::JSON, '$[*]'), k)
        -- NULL stays NULL, as in Postgres (so `not tags ? 'k'` skips untagged rows).
        ELSE CASE WHEN j IS NOT NULL THEN false END
    END;
