/**
 * Scrapes Prometheus text from `url` and resolves to the value of the unlabelled sample `name`.
 * Scraping has side effects: prom-client resets its event-loop delay histogram at each scrape.
 */
export async function scrapeMetric (url: string, name: string): Promise<number> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: ${res.status}`)
  const text = await res.text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`${url}: no ${name} sample`)
  return Number(line.slice(name.length + 1).trim().split(' ')[0])
}
