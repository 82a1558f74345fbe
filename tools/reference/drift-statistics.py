"""Writes test/fixtures/drift-statistics.json: scipy/numpy values for src/observe/drift's tests.

Samples are not stored: each case names a generator spec (mulberry32 seed, Irwin-Hall normal or
uniform, location, scale, optional quantization step, or weighted categories) that this script and
src/observe/drift/drift-samples.case.ts turn into bit-identical samples, using only operations that
round identically in Python and JavaScript. Run: python3 tools/reference/drift-statistics.py
"""

import json
import math
import os

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "drift-statistics.json")
MASK = 0xFFFFFFFF


def mulberry32(seed):
    state = seed & MASK

    def imul(a, b):
        return (a * b) & MASK

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296

    return draw


def numeric_sample(spec):
    draw = mulberry32(spec["seed"])
    values = []
    for _ in range(spec["size"]):
        if spec["kind"] == "normal":
            base = 0.0
            for _ in range(12):
                base += draw()
            base -= 6.0
        else:
            base = draw()
        value = spec["location"] + spec["scale"] * base
        if spec.get("step"):
            value = math.floor(value / spec["step"]) * spec["step"]
        values.append(value)
    return np.array(values, dtype=np.float64)


def categorical_sample(spec):
    draw = mulberry32(spec["seed"])
    weights = spec["weights"]
    total = sum(weights)
    cumulative = np.cumsum(weights).tolist()
    values = []
    for _ in range(spec["size"]):
        scaled = draw() * total
        values.append(spec["categories"][next(i for i, c in enumerate(cumulative) if scaled < c)])
    return values


def vectors(spec):
    flat = numeric_sample({**spec, "size": spec["size"] * spec["dimension"]})
    return flat.reshape(spec["size"], spec["dimension"])


def normal(seed, size, location=0.0, scale=1.0, step=None):
    spec = {"seed": seed, "size": size, "kind": "normal", "location": location, "scale": scale}
    if step:
        spec["step"] = step
    return spec


def uniform(seed, size, location=0.0, scale=1.0, step=None):
    spec = {"seed": seed, "size": size, "kind": "uniform", "location": location, "scale": scale}
    if step:
        spec["step"] = step
    return spec


def categories(seed, size, names, weights):
    return {"seed": seed, "size": size, "categories": names, "weights": weights}


def ks_cases():
    pairs = [
        # exact path (both sizes <= 10000)
        ("equal tiny", normal(1, 8), normal(2, 8, 0.5), "auto"),
        ("unequal small", normal(3, 25), normal(4, 40, 0.3), "auto"),
        ("ties equal", normal(5, 60, step=0.25), normal(6, 60, 0.2, step=0.25), "auto"),
        ("ties unequal", normal(7, 100, step=0.5), normal(8, 150, step=0.5), "auto"),
        ("shifted unequal", normal(9, 300), normal(10, 200, 0.25), "auto"),
        ("same distribution", uniform(11, 1000), uniform(12, 1000), "auto"),
        ("near coprime", normal(13, 999), normal(14, 1000, 0.1), "auto"),
        ("lopsided", normal(15, 37), normal(16, 2000, 0.4, 1.3), "auto"),
        ("scale change", normal(17, 500), normal(18, 700, 0.0, 1.6), "auto"),
        ("identical", uniform(19, 50, step=0.5), uniform(19, 50, step=0.5), "auto"),
        # asymptotic path by size (one sample above 10000)
        ("large vs tiny", normal(20, 10001), normal(21, 50, 0.3), "auto"),
        ("large vs tiny far", normal(22, 12000), normal(23, 130, 0.9), "auto"),
        ("large vs medium", normal(24, 10500), normal(25, 900, 0.05), "auto"),
        ("large vs medium shifted", normal(26, 11000), normal(27, 800, 0.2), "auto"),
        ("large equal halves", normal(28, 10001), normal(29, 10001, 0.02), "auto"),
        # asymptotic path forced on small samples (the same distribution function, cheaper to replay)
        ("forced asymptotic small n", normal(30, 40), normal(31, 60, 0.4), "asymp"),
        ("forced asymptotic pelz-good", normal(32, 500), normal(33, 300, 0.1), "asymp"),
        ("forced asymptotic smirnov tail", normal(34, 500), normal(35, 300, 0.35), "asymp"),
        ("forced asymptotic ties", normal(36, 400, step=0.5), normal(37, 380, 0.1, step=0.5), "asymp"),
    ]
    cases = []
    for name, reference, current, method in pairs:
        result = stats.ks_2samp(numeric_sample(reference), numeric_sample(current), method=method)
        cases.append(
            {
                "name": name,
                "reference": reference,
                "current": current,
                "method": "asymptotic" if method == "asymp" else "auto",
                "statistic": float(result.statistic),
                "pValue": float(result.pvalue),
            }
        )
    return cases


def kstwo_grid():
    points = []
    for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 200, 1000, 5000, 20000, 100001]:
        xs = {c / n for c in (0.4, 0.6, 0.9, 1.0)}
        xs |= {math.sqrt(v / n) for v in (0.05, 0.3, 0.75, 1.0, 1.5, 2.0, 2.19, 2.21, 3.0, 4.0, 4.5, 8.0, 15.0)}
        xs |= {0.5, 0.6, 0.8, 1 - 1.5 / n, 0.999}
        for x in sorted(xs):
            if 0 < x < 1:
                points.append({"n": n, "x": x, "survival": float(stats.kstwo.sf(x, n)),
                               "smirnov": float(special.smirnov(n, x))})
    return points


def special_values():
    gammaln = [{"x": x, "value": float(special.gammaln(x))}
               for x in [1e-8, 0.01, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 10, 25.5, 100, 1234.5, 1e5, 1e7]]
    gammaincc = []
    for a in [0.5, 1, 1.5, 2.5, 10, 50, 200, 1000]:
        for factor in [0.01, 0.3, 0.8, 1.0, 1.2, 2.0, 4.0]:
            x = a * factor
            gammaincc.append({"a": a, "x": x, "value": float(special.gammaincc(a, x))})
    chi2 = [{"statistic": s, "df": k, "value": float(stats.chi2.sf(s, k))}
            for k in [1, 2, 3, 7, 30, 200] for s in [0.01, 0.5, 1, 3.84, 10, 50, 300]]
    normal_sf = [{"z": z, "value": float(stats.norm.sf(z))} for z in [-3, -1, 0, 0.5, 1.96, 3, 5, 8, 12, 20]]
    kolmogorov = [{"z": z, "value": float(special.kolmogorov(z))}
                  for z in [0.03, 0.05, 0.2, 0.5, 0.8, 0.82, 0.83, 1.0, 1.36, 2.0, 3.0, 5.0]]
    return {"logGamma": gammaln, "upperGamma": gammaincc, "chiSquared": chi2,
            "normalSurvival": normal_sf, "kolmogorov": kolmogorov}


def evidently_binned(reference, current, numeric, fill):
    """Evidently's get_binned_data: Sturges bins over both samples when the reference has > 20 values."""
    if numeric and len(np.unique(reference)) > 20:
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        r = np.histogram(reference, edges)[0] / len(reference)
        c = np.histogram(current, edges)[0] / len(current)
    else:
        keys = sorted(set(list(reference)) | set(list(current)))
        r = np.array([list(reference).count(k) / len(reference) for k in keys])
        c = np.array([list(current).count(k) / len(current) for k in keys])
    if fill:
        for shares in (r, c):
            smallest = shares[shares != 0].min()
            np.place(shares, shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return r, c


def chi_square_cases():
    counts = [
        {"observed": [16, 18, 16, 14, 12, 12], "expected": [16, 16, 16, 16, 16, 8]},
        {"observed": [43, 52, 54, 40], "expected": [47.25, 47.25, 47.25, 47.25]},
        {"observed": [5, 0, 3], "expected": [2.5, 2.5, 3]},
        {"observed": [1000, 1100], "expected": [1050, 1050]},
    ]
    for case in counts:
        result = stats.chisquare(case["observed"], case["expected"])
        case.update(statistic=float(result.statistic), pValue=float(result.pvalue))
    samples = []
    pairs = [
        (categories(40, 400, ["a", "b", "c", "d"], [4, 3, 2, 1]), categories(41, 300, ["a", "b", "c", "d"], [4, 3, 2, 1])),
        (categories(42, 800, ["red", "green", "blue"], [1, 1, 1]), categories(43, 500, ["red", "green", "blue"], [2, 1, 1])),
        (categories(44, 120, ["x", "y", "z", "w", "v"], [5, 1, 1, 1, 2]), categories(45, 900, ["x", "y", "z", "w"], [5, 1, 1, 1])),
    ]
    for reference, current in pairs:
        ref, cur = categorical_sample(reference), categorical_sample(current)
        keys = sorted(set(ref) | set(cur))
        expected = [ref.count(k) * (len(cur) / len(ref)) for k in keys]
        observed = [cur.count(k) for k in keys]
        result = stats.chisquare(observed, expected)
        samples.append({"reference": reference, "current": current,
                        "statistic": float(result.statistic), "pValue": float(result.pvalue)})
    homogeneity = []
    pairs.append((categories(46, 200, ["a", "b"], [1, 1]), categories(47, 150, ["a", "b", "new"], [4, 4, 1])))
    pairs.append((categories(48, 90, ["yes", "no"], [1, 2]), categories(49, 110, ["yes", "no"], [1, 1])))
    for reference, current in pairs:
        ref, cur = categorical_sample(reference), categorical_sample(current)
        keys = sorted(set(ref) | set(cur))
        table = np.array([[ref.count(k) for k in keys], [cur.count(k) for k in keys]])
        result = stats.chi2_contingency(table, correction=False)
        homogeneity.append({"reference": reference, "current": current, "degreesOfFreedom": int(result.dof),
                            "statistic": float(result.statistic), "pValue": float(result.pvalue)})
    return {"counts": counts, "samples": samples, "homogeneity": homogeneity}


def z_test_cases():
    cases = []
    pairs = [
        (categories(50, 300, ["no", "yes"], [7, 3]), categories(51, 250, ["no", "yes"], [7, 3])),
        (categories(52, 600, ["no", "yes"], [1, 1]), categories(53, 400, ["no", "yes"], [3, 2])),
        (categories(54, 80, ["false", "true"], [9, 1]), categories(55, 90, ["false", "true"], [6, 4])),
    ]
    for reference, current in pairs:
        ref, cur = categorical_sample(reference), categorical_sample(current)
        first = sorted(set(ref) | set(cur))[0]
        ones_ref = np.array([0 if v == first else 1 for v in ref])
        ones_cur = np.array([0 if v == first else 1 for v in cur])
        p1, p2 = ones_ref.mean(), ones_cur.mean()
        pooled = (p1 * len(ref) + p2 * len(cur)) / (len(ref) + len(cur))
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / len(ref) + 1 / len(cur)))
        cases.append({"reference": reference, "current": current, "statistic": float(z),
                      "pValue": float(2 * stats.norm.sf(abs(z)))})
    return cases


def distance_cases():
    wasserstein = []
    for reference, current in [
        (normal(60, 200), normal(61, 150, 0.3)),
        (uniform(62, 1500, step=0.125), uniform(63, 1200, 0.1, step=0.125)),
        (normal(64, 30, 5, 2), normal(65, 1000, 5.5, 1)),
        (uniform(66, 40, 2, 0, step=1), uniform(67, 40, 3, 0, step=1)),
    ]:
        ref, cur = numeric_sample(reference), numeric_sample(current)
        value = float(stats.wasserstein_distance(ref, cur))
        wasserstein.append({"reference": reference, "current": current, "distance": value,
                            "normed": value / max(float(np.std(ref)), 0.001)})
    jensen_vectors = []
    for p, q in [([0.1, 0.4, 0.5], [0.2, 0.2, 0.6]), ([1, 0, 0], [0, 1, 0]), ([3, 0, 2, 5], [1, 4, 2, 0]),
                 ([0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25])]:
        jensen_vectors.append({"p": p, "q": q, "base2": float(distance.jensenshannon(p, q, base=2)),
                               "natural": float(distance.jensenshannon(p, q))})
    binned = []
    numeric_pairs = [
        (normal(70, 1500), normal(71, 1200, 0.2)),
        (normal(72, 2000, step=0.5), normal(73, 1800, 0.3, step=0.5)),
        (uniform(74, 3000, 0, 10), uniform(75, 500, 1, 10)),
        (uniform(76, 1100, 0, 4, step=1), uniform(77, 1300, 0, 5, step=1)),
    ]
    for reference, current in numeric_pairs:
        ref, cur = numeric_sample(reference), numeric_sample(current)
        binned.append(binned_case(reference, current, ref, cur, True))
    for reference, current in [
        (categories(78, 1500, ["a", "b", "c"], [5, 3, 2]), categories(79, 1200, ["a", "b", "c", "d"], [4, 3, 2, 1])),
        (categories(80, 2000, ["p", "q", "r", "s"], [1, 1, 1, 1]), categories(81, 2000, ["p", "q", "r"], [1, 1, 1])),
    ]:
        binned.append(binned_case(reference, current, categorical_sample(reference), categorical_sample(current), False))
    return {"wasserstein": wasserstein, "jensenShannonVectors": jensen_vectors, "binned": binned}


def binned_case(reference, current, ref, cur, numeric):
    r, c = evidently_binned(ref, cur, numeric, fill=False)
    jensen = float(distance.jensenshannon(r, c, base=2))
    r, c = evidently_binned(ref, cur, numeric, fill=True)
    psi = float(np.sum((r - c) * np.log(r / c)))
    return {"reference": reference, "current": current, "numeric": numeric, "bins": len(r),
            "jensenShannon": jensen, "populationStabilityIndex": psi}


def mmd_cases():
    cases = []
    for reference, current in [
        ({**normal(90, 30), "dimension": 4}, {**normal(91, 25, 0.5), "dimension": 4}),
        ({**uniform(92, 40), "dimension": 8}, {**uniform(93, 40), "dimension": 8}),
    ]:
        x, y = vectors(reference), vectors(current)
        pooled = np.vstack([x, y])
        squared = ((pooled[:, None, :] - pooled[None, :, :]) ** 2).sum(-1)
        upper = np.sqrt(squared[np.triu_indices(len(pooled), 1)])
        bandwidth = float(np.median(upper))
        kernel = np.exp(-squared / (2 * bandwidth**2))
        n, m = len(x), len(y)
        kxx, kyy, kxy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
        statistic = ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                     - 2 * kxy.mean())
        cases.append({"reference": reference, "current": current, "bandwidth": bandwidth,
                      "statistic": float(statistic)})
    return cases


def main():
    fixture = {
        "generator": f"tools/reference/drift-statistics.py (scipy {scipy.__version__}, numpy {np.__version__})",
        "kolmogorovSmirnov": ks_cases(),
        "kolmogorovDistribution": kstwo_grid(),
        "special": special_values(),
        "chiSquared": chi_square_cases(),
        "zTest": z_test_cases(),
        "distances": distance_cases(),
        "maximumMeanDiscrepancy": mmd_cases(),
    }
    with open(OUT, "w") as handle:
        json.dump(fixture, handle, indent=None, separators=(",", ":"))
        handle.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
