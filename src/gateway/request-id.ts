const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's id is kept only when the route trusts it and it is short and plain (it reaches logs). */
export function requestIdFor(incoming: string | null, trusted: boolean): string {
  if (trusted && incoming && REQUEST_ID_PATTERN.test(incoming)) return incoming;
  return crypto.randomUUID();
}
