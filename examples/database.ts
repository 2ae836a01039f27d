// The project's Database type: `supabase gen types typescript` output (database.types.ts) with the
// entry of job_interview_create_from_array replaced by the contract's types (types/interview-db.ts),
// merged with type-fest's MergeDeep as Supabase documents for overriding generated types.
// npm i -D type-fest
import type { MergeDeep } from 'type-fest'
import type { Database as DatabaseGenerated } from './database.types'
import type { InterviewDbDatabase, WithoutGeneratedInterviewDb } from '../types/interview-db'

// WithoutGeneratedInterviewDb drops the generated Json entry first: merged into it, MergeDeep would
// widen the contract's types back to Json.
export type Database = MergeDeep<WithoutGeneratedInterviewDb<DatabaseGenerated>, InterviewDbDatabase>
