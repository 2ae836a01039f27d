// Sign an embed link's token on the merchant's own backend, with jose (npm i jose).
//   EMBED_ID=<embed_id> EMBED_SIGNING_KEY=<embed_signing_key> node sign-embed-token.mjs ["Candidate name"] ["candidate@example.com"]
// EMBED_ID and EMBED_SIGNING_KEY come from the response of job_interview_create_from_array with
// is_embedded true. The key stays on your server: only the token goes into the link.
// The token is a standard JWT: HS256, kid = embed_id, exp at most 7 days ahead.
//
// The embed page's backend checks it with the service_role key:
//   const { data, error } = await supabaseAdmin.rpc('verify_embed_token', { token })
// data = { embed_id, interview_def_set_id, name, email, exp }; error.details says why not
// (malformed, unsupported_alg, unknown_key, bad_signature, expired).
import { SignJWT } from 'jose'

const [name, email] = process.argv.slice(2)
const claims = {}
if (name !== undefined) claims.name = name
if (email !== undefined) claims.email = email

const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: process.env.EMBED_ID })
  .setIssuedAt()
  .setExpirationTime('1h')
  // the key is the hex text itself (its UTF-8 bytes), as every JWT library takes a string secret
  .sign(new TextEncoder().encode(process.env.EMBED_SIGNING_KEY))

console.log(token)
