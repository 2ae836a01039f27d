// A typed create call with supabase-js (npm i @supabase/supabase-js; types from types/interview-db.ts
// and the merged Database of database.ts), as a signed-in user.
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Database } from './database'
import {
  CREATE_INTERVIEW_ERROR_STATUS,
  isCreateInterviewError,
  isEmbedded,
  type CreateInterviewRequest,
} from '../types/interview-db'

// createClient<Database>: every rpc, from and select is typed by the merged Database.
export function connect(url: string, anonKey: string): SupabaseClient<Database> {
  return createClient<Database>(url, anonKey)
}

// Declared with the request type: a misspelled key, a wrong enum value or a missing required field
// is a compile error here (supabase.rpc infers its args generically and flags no unknown key).
const body: CreateInterviewRequest = {
  name: 'Project manager',
  location: 'remote',
  interview_template_id: '5b6f0c3e-2a51-4f0e-9d4c-1a7e3c9b0001',
  mojito_language_code: 'en',
  description: 'We are looking for a project manager to lead cross-functional delivery teams.',
  status: 'active',
  type: 'interview',
  visibility: 'merchant_public',
  is_embedded: true,
  questions: [
    { id: 'q1', question: 'Tell us about a project you delivered from start to finish.', duration: 180 },
    'How do you handle a conflict between two team members?',
  ],
}

// supabase: a client whose user signed in (supabase.auth.signInWithPassword), or the service_role key
// (the body then needs merchant_id).
export async function createInterview(supabase: SupabaseClient<Database>): Promise<string> {
  const { data, error } = await supabase.rpc('job_interview_create_from_array', body)
  if (error) {
    if (isCreateInterviewError(error)) {
      // error.code is PT401 | 42501 | PT403 | PT409 | PT422
      const status = CREATE_INTERVIEW_ERROR_STATUS[error.code]
      if (error.code === 'PT422') {
        // details is the field's path (questions[3].duration), hint what is accepted
        throw new Error(`invalid ${error.details}: ${error.message} (${error.hint})`)
      }
      throw new Error(`HTTP ${status} ${error.code}: ${error.message}`)
    }
    throw new Error(`${error.code}: ${error.message}`) // not the function's (network, PostgREST)
  }
  // data: { interview_def_set_id, questions_created, credits_per_session } and, only with
  // is_embedded: true, embed_id and embed_signing_key: narrow before reading them.
  if (isEmbedded(data)) {
    storeServerSide(data.embed_id, data.embed_signing_key)
  }
  // warnings: only when the call ignored or adjusted something (an unknown key, an empty tag, a
  // fractional duration); what was sent for the fields it knows is stored as sent
  for (const warning of data.warnings ?? []) {
    console.warn(`${warning.path}: ${warning.message}${warning.suggestion ? ` (${warning.suggestion}?)` : ''}`)
  }
  return data.interview_def_set_id
}

function storeServerSide(embedId: string, signingKey: string): void {
  void embedId
  void signingKey
}
