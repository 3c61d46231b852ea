/** Kubernetes quantities (`250m`, `1Gi`, `10`) as numbers, for quotas and limits. */
const SUFFIXES: Readonly<Record<string, number>> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
}

/** A Kubernetes quantity (`250m`, `1Gi`, `10`) as a number; NaN when it is not one. */
export function quantity(value: string): number {
  const [, number, suffix = ''] = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]{0,2})$/.exec(value) ?? []
  if (number === undefined) return Number.NaN
  const scale = suffix === '' ? 1 : SUFFIXES[suffix]
  return scale === undefined ? Number.NaN : Number(number) * scale
}
