-- fuzzystrmatch stays: other code of the database may use it, and the
-- migrations before this one do not need it gone.
select 1;
