import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  erlangB,
  erlangC,
  maxOfferedLoadForWaitProbability,
  meanWaitSeconds,
  probabilityWaitExceeds,
} from "../../policies/economics/queueing";

/**
 * Erlang C straight from its definition, summed in log space so it cannot overflow:
 * C = (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)).
 * An independent reference for the recursion the module uses.
 */
function erlangCByDefinition(c: number, a: number): number {
  const logTerms: number[] = [];
  let logTerm = 0; // log(a^0 / 0!)
  for (let k = 0; k < c; k++) {
    logTerms.push(logTerm);
    logTerm += Math.log(a) - Math.log(k + 1);
  }
  const logTail = logTerm + Math.log(c / (c - a));
  const max = Math.max(logTail, ...logTerms);
  const sum = logTerms.reduce((s, t) => s + Math.exp(t - max), 0);
  const tail = Math.exp(logTail - max);
  return tail / (sum + tail);
}

describe("erlangC against published values", () => {
  it("matches the CRAN ErlangC package's documented example: 10 erlangs on 14 and on 11 agents", () => {
    // ErlangC 0.1.0 (CRAN, Damonsoul, 2024-12), README example: 100 calls per 30 minutes,
    // 180 s handling time → traffic intensity 10; 14 agents: wait_probability 0.1741319,
    // service level (20 s) 0.88835, average speed of answer 7.83593701177724 s; its search
    // trace lists 11 agents at 0.6821182. pyworkforce 0.1.0's README prints the same example
    // (waiting_probability 0.1741319335950498, service_level 0.8883500191794669).
    // https://rdocumentation.org/packages/ErlangC/versions/0.1.0, https://pypi.org/project/pyworkforce/0.1.0/
    expect(erlangC(14, 10)).toBeCloseTo(0.1741319, 7);
    expect(erlangC(11, 10)).toBeCloseTo(0.6821182, 7);
    expect(1 - probabilityWaitExceeds(14, 10, 180, 20)).toBeCloseTo(0.88835, 5);
    expect(meanWaitSeconds(14, 10, 180)).toBeCloseTo(7.83593701177724, 9);
  });

  it("matches Hubbard's Erlang-C worked example: 360 calls per half hour of 240 s on 55 agents", () => {
    // M. Hubbard, "The Erlang-C formula" (mitan.co.uk/erlang), worked example: 0.2 calls/s,
    // 240 s calls (48 erlangs), 55 agents → E_C = 0.2387, mean wait 8.184 s, 84.59 % answered
    // within 15 s; figures as reproduced (and checked against the page) in the Maxima
    // erlang.mac notes "Expected waiting time formulas in Maxima".
    expect(erlangC(55, 48)).toBeCloseTo(0.2387, 4);
    expect(meanWaitSeconds(55, 48, 240)).toBeCloseTo(8.184, 3);
    expect(1 - probabilityWaitExceeds(55, 48, 240, 15)).toBeCloseTo(0.8459, 4);
  });

  it("matches the Footbridge Call Calc application note (9-1-1 call answering)", () => {
    // al911.org/qos_calc.htm: 2 call takers, 30 calls/hour of 60 s → "fewer than 8 percent of
    // callers will wait more than 10 seconds"; at 80 s per call "the QOS falls to 14 percent".
    expect(probabilityWaitExceeds(2, (30 * 60) / 3600, 60, 10)).toBeLessThan(0.08);
    expect(probabilityWaitExceeds(2, (30 * 80) / 3600, 80, 10)).toBeCloseTo(0.14, 2);
  });

  it("matches the textbook exercise read off an Erlang C curve: 6 erlangs on 10 servers, about 0.10", () => {
    // 120 customers/hour, 3 minutes each, 10 assistants; "from the Erlang C curve ... about 0.10".
    expect(erlangC(10, 6)).toBeCloseTo(0.10, 2);
  });
});

describe("erlangC by hand arithmetic", () => {
  it("is the utilization for one server: C(1, ρ) = ρ", () => {
    for (const rho of [0, 0.1, 0.25, 0.5, 0.9, 0.999]) expect(erlangC(1, rho)).toBeCloseTo(rho, 12);
  });

  it("is 2ρ²/(1+ρ) for two servers", () => {
    // Two servers at load a = 2ρ: P0 = (1−ρ)/(1+ρ), C = 2ρ²/(1+ρ).
    // Wolfram's ErlangC example: two 1 Mbps lines, 150 packets/s of 10 kbit → a = 1.5, C = 9/14.
    expect(erlangC(2, 1.5)).toBeCloseTo(9 / 14, 12);
    for (const rho of [0.1, 0.3, 0.6, 0.95]) expect(erlangC(2, 2 * rho)).toBeCloseTo((2 * rho * rho) / (1 + rho), 12);
  });

  it("is 4/9 for three servers at two erlangs (Wolfram's ErlangC[3, 2])", () => {
    // Σ_{k<3} 2^k/k! = 1 + 2 + 2 = 5; a^c/c!·c/(c−a) = 8/6·3 = 4; C = 4/(5+4).
    expect(erlangC(3, 2)).toBeCloseTo(4 / 9, 12);
  });

  it("is 1 at or beyond saturation and 0 with no load", () => {
    expect(erlangC(5, 5)).toBe(1);
    expect(erlangC(5, 7.5)).toBe(1);
    expect(erlangC(5, 0)).toBe(0);
    expect(meanWaitSeconds(5, 5, 10)).toBe(Number.POSITIVE_INFINITY);
    expect(probabilityWaitExceeds(5, 6, 10, 100)).toBe(1);
  });

  it("relates to Erlang B as C = B / (1 − ρ(1 − B)), with B(1, a) = a/(1+a)", () => {
    expect(erlangB(1, 3)).toBeCloseTo(0.75, 12);
    const b = erlangB(14, 10);
    expect(erlangC(14, 10)).toBeCloseTo(b / (1 - (10 / 14) * (1 - b)), 12);
  });
});

describe("erlangC numerics and validation", () => {
  it("stays finite and agrees with the log-space definition for thousands of servers", () => {
    for (const [c, a] of [
      [200, 180],
      [1000, 950],
      [5000, 4900],
      [3000, 100],
    ] as const) {
      const value = erlangC(c, a);
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeCloseTo(erlangCByDefinition(c, a), 10);
    }
  });

  it("agrees with the definition for small systems", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (c, rho) => {
        expect(erlangC(c, c * rho)).toBeCloseTo(erlangCByDefinition(c, c * rho), 10);
      }),
    );
  });

  it("rejects servers that are not a whole number ≥ 1 and loads that are negative or not finite", () => {
    expect(() => erlangC(0, 1)).toThrow(RangeError);
    expect(() => erlangC(2.5, 1)).toThrow(/servers must be a whole number of at least 1, got 2.5/);
    expect(() => erlangC(3, -1)).toThrow(/offered load .* at least 0, got -1/);
    expect(() => erlangC(3, Number.NaN)).toThrow(RangeError);
    expect(() => erlangC(3, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => meanWaitSeconds(3, 1, 0)).toThrow(/serviceSeconds/);
    expect(() => probabilityWaitExceeds(3, 1, 1, -1)).toThrow(/waitSeconds/);
    expect(() => maxOfferedLoadForWaitProbability(3, 1.5)).toThrow(/between 0 and 1/);
  });
});

describe("erlangC properties", () => {
  const servers = fc.integer({ min: 1, max: 300 });
  const utilization = fc.double({ min: 0, max: 1.2, noNaN: true });

  it("is a probability", () => {
    fc.assert(
      fc.property(servers, utilization, (c, rho) => {
        const p = erlangC(c, c * rho);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("never falls as the load rises", () => {
    fc.assert(
      fc.property(servers, utilization, utilization, (c, r1, r2) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(erlangC(c, c * lo)).toBeLessThanOrEqual(erlangC(c, c * hi) + 1e-12);
      }),
    );
  });

  it("never rises as servers are added at the same load", () => {
    fc.assert(
      fc.property(servers, fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 400, noNaN: true }), (c, extra, a) => {
        expect(erlangC(c + extra, a)).toBeLessThanOrEqual(erlangC(c, a) + 1e-12);
      }),
    );
  });
});

describe("maxOfferedLoadForWaitProbability", () => {
  it("inverts erlangC: the load it returns meets the bound and a hair more breaks it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (c, p) => {
        const a = maxOfferedLoadForWaitProbability(c, p);
        expect(a).toBeGreaterThan(0);
        expect(a).toBeLessThan(c);
        expect(erlangC(c, a)).toBeLessThanOrEqual(p);
        expect(erlangC(c, a + 1e-6 * c)).toBeGreaterThan(p);
      }),
    );
  });

  it("is ρ·1 for one server (C(1, a) = a) and solves 2ρ²/(1+ρ) = p for two", () => {
    expect(maxOfferedLoadForWaitProbability(1, 0.2)).toBeCloseTo(0.2, 8);
    // 2ρ² − pρ − p = 0 → ρ = (p + √(p² + 8p)) / 4; p = 0.2 → ρ = (0.2 + √1.64)/4.
    expect(maxOfferedLoadForWaitProbability(2, 0.2)).toBeCloseTo(2 * ((0.2 + Math.sqrt(1.64)) / 4), 8);
  });

  it("lets each server run busier as the group grows (pooling)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 20 }), fc.double({ min: 0.01, max: 0.9, noNaN: true }), (c, extra, p) => {
        const small = maxOfferedLoadForWaitProbability(c, p) / c;
        const large = maxOfferedLoadForWaitProbability(c + extra, p) / (c + extra);
        expect(large).toBeGreaterThanOrEqual(small - 1e-8);
      }),
    );
  });

  it("returns 0 for probability 0 and the server count for probability 1", () => {
    expect(maxOfferedLoadForWaitProbability(8, 0)).toBe(0);
    expect(maxOfferedLoadForWaitProbability(8, 1)).toBe(8);
  });
});
