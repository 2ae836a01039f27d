-- Embed links are signed as standard JWTs now and checked by
-- public.verify_embed_token (sql/functions/public.verify_embed_token.sql).
-- The old check, HMAC(key, embed_id || name || email), goes: the concatenation
-- has no boundaries (a signature for ("Bob Smith", "bob.smith@corp.com") also
-- verifies ("Bob Smithbob.", "smith@corp.com")) and no expiry. Its function
-- file is gone too; on a database where it was never created (a fresh deploy
-- applies the function files after the migrations) there is nothing to drop.
drop function if exists public.verify_embed_signature(uuid, text, text, text);
