/** The BFF's session-cache counters (`bff_session_cache_lookups_total`), read from its admin `/metrics`. */
export async function cacheLookups(adminUrl: string, adminToken: string): Promise<{ hits: number; misses: number }> {
  const response = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
  const text = await response.text();
  const count = (result: string) => Number(new RegExp(`^bff_session_cache_lookups_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { hits: count('hit'), misses: count('miss') };
}
