// A stand-in for `supabase gen types typescript --local > database.types.ts` on a project with this
// package deployed, abridged to one table and the package's functions. The generated entry of
// job_interview_create_from_array says nothing useful: every argument optional Json, and a second
// overload for the unknown-key fallback (a single unnamed jsonb parameter). database.ts replaces it.
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  // Allows to automatically instantiate createClient with right options
  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)
  __InternalSupabase: {
    PostgrestVersion: '12.2.3 (519615d)'
  }
  public: {
    Tables: {
      interview_templates: {
        Row: { id: string; merchant_id: string | null; name: string; is_active: boolean }
        Insert: { id?: string; merchant_id?: string | null; name: string; is_active?: boolean }
        Update: { id?: string; merchant_id?: string | null; name?: string; is_active?: boolean }
        Relationships: []
      }
    }
    Views: { [_ in never]: never }
    Functions: {
      job_interview_create_from_array:
        | { Args: { '': Json }; Returns: Json }
        | {
            Args: {
              additional_context?: Json
              description?: Json
              interview_template_id?: Json
              is_embedded?: Json
              location?: Json
              mojito_language_code?: Json
              name?: Json
              questions?: Json
              status?: Json
              type?: Json
              visibility?: Json
            }
            Returns: Json
          }
      verify_embed_token: { Args: { token: string }; Returns: Json }
    }
    Enums: { [_ in never]: never }
    CompositeTypes: { [_ in never]: never }
  }
}
