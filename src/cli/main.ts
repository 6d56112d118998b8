// STUB: replaced by the command line (issue 2).
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write("usage: gatehouse <validate|explain|push|versions|rollback|diff> ...\n");
  return 2;
}
