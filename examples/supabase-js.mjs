// Create an interview with supabase-js (npm i @supabase/supabase-js), as a signed-in user.
//   SUPABASE_URL=... SUPABASE_ANON_KEY=... EMAIL=... PASSWORD=... node supabase-js.mjs
import { readFile } from 'node:fs/promises'
import { createClient } from '@supabase/supabase-js'

const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_ANON_KEY)
const { error: signInError } = await supabase.auth.signInWithPassword({
  email: process.env.EMAIL,
  password: process.env.PASSWORD,
})
if (signInError) throw signInError

const body = JSON.parse(await readFile(new URL('./create-interview.json', import.meta.url), 'utf8'))
const { data, error } = await supabase.rpc('job_interview_create_from_array', body)
if (error) {
  // error.code is the SQLSTATE (PT422, PT403, ...), error.details the field path, error.hint what is accepted
  console.error(`${error.code}: ${error.message} (${error.details}) — ${error.hint}`)
  process.exit(1)
}
console.log(data) // { interview_def_set_id, questions_created, credits_per_session }
