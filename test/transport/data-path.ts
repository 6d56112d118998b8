/** The JSON body the pods echo: what the origin received. */
export interface PodEcho {
  pod: string;
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
}
