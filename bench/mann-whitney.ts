/**
 * One-sided Mann-Whitney U test (is `x` stochastically larger than `y`?), with the normal approximation
 * and the tie correction, as Kayenta's NetflixACAJudge uses it. Pure.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
export function mannWhitneyGreaterP(x: readonly number[], y: readonly number[]): number {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return 1;
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.v === all[i]?.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((item, i) => {
    if (item.g === 0) r1 += ranks[i] ?? 0;
  });
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  // Continuity correction towards the null.
  const z = (u1 - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return 1 - normalCdf(z, 0, 1);
}
