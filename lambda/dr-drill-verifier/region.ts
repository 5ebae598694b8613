/** The region in an RDS endpoint (`name.abc123.ap-northeast-2.rds.amazonaws.com`), or `fallback` for any other host. */
export function regionOfEndpoint(host: string, fallback: string): string {
  return /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.rds\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? fallback;
}
