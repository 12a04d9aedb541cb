"""PyTorch eager (CPU) peer of the train-step bench: the DagNN of src/model/dagnn.ts.

Usage: /usr/bin/python3 bench/peers/torch_dagnn.py WORKLOAD.json ROUNDS SAMPLE_MS
Reads the batches and initial weights exported by bench/peers/export.ts, checks its loss
over the first training steps against ours (lossTrace), then times forward + loss + backward + Adam per batch (the
loss scalar is read back every step) in alternating rounds with the default thread count
and with torch.set_num_threads(1) (and with os.cpu_count() threads when that is more than
the default). Prints one JSON line per figure on stdout.

Same model: per (depth, kind) group, leaves h = tanh(F W + b) (symbols add E[row]); inner
kinds h = tanh([h_c1 | ... | h_ca] W_k + b_k) over ONE gather of interleaved child rows;
value stream v = sum_s w_s v_s + sum_j u_j unit_j(children) with the domain guards of
src/model/units.ts (a unit outside its domain or with |value| or |derivative| > 1e6 gives 0
with zero gradient), as an autograd.Function carrying the units' Jacobian like our rowMap
(which computes them in float64 on the host; here float32); type head on the root value's integrality (a constant); loss =
GED term (type probabilities detached, tau 10) + type cross-entropy + (v/100 - y/100)^2.
Node states: blocks are concatenated once per depth (children are always at lower depths),
instead of our in-place writeRows into one N x hidden matrix.
"""
import json
import os
import sys
import time

import torch

CAP = 1e6


def guard(value, *derivs):
    """The mask of units.ts put(): finite and within CAP, value and every derivative
    (|x| <= CAP is false for NaN and for infinities, so it is the finiteness test too)."""
    ok = value.abs() <= CAP
    for d in derivs:
        ok = ok & (d.abs() <= CAP)
    return ok


def guarded(units):
    """units: [(value, [d/dx_s ...], extra mask or None)] -> y (n x outputs) and the Jacobian
    (n x outputs x arity), both zero outside each unit's domain (units.ts put())."""
    ys, jac = [], []
    for value, derivs, extra in units:
        ok = guard(value, *derivs)
        if extra is not None:
            ok = ok & extra
        ys.append(torch.where(ok, value, torch.zeros_like(value)))
        jac.append(torch.stack([torch.where(ok, d, torch.zeros_like(d)) for d in derivs], 1))
    return torch.stack(ys, 1), torch.stack(jac, 1)


def binary_jacobian(cv):
    a, b = cv[:, 0], cv[:, 1]
    one = torch.ones_like(b)
    nz = b.abs() >= 1e-6
    bs = torch.where(nz, b, one)
    return guarded([
        (a * b, [b, a], None),
        (a / bs, [1 / bs, -a / (bs * bs)], nz),
    ])


def unary_jacobian(cv):
    v = cv[:, 0]
    one = torch.ones_like(v)
    s, c = torch.sin(v), torch.cos(v)
    pos = v > 0
    vp = torch.where(pos, v, one)
    e = torch.exp(v)
    big = v > 1e-9
    r = torch.sqrt(torch.where(big, v, one))
    # v == 0 gives sqrt 0 with derivative 0; other v <= 1e-9 are out of the domain (also 0)
    return guarded([
        (s, [c], None),
        (c, [-s], None),
        (torch.tan(v), [1 / (c * c)], None),
        (torch.log(vp), [1 / vp], pos),
        (e, [e], None),
        (r, [0.5 / r], big),
    ])


class RowUnits(torch.autograd.Function):
    """Like our rowMap: y = f(x) row by row, backward dx[r, s] = sum_j dy[r, j] * J[r, j, s]."""

    @staticmethod
    def forward(ctx, cv, arity):
        y, jac = binary_jacobian(cv) if arity == 2 else unary_jacobian(cv)
        ctx.save_for_backward(jac)
        return y

    @staticmethod
    def backward(ctx, dy):
        (jac,) = ctx.saved_tensors
        return (dy.unsqueeze(2) * jac).sum(1), None


class Peer:
    def __init__(self, w):
        self.hidden = w["hidden"]
        self.tau = w["tau"]
        self.aux_scale = w["auxScale"]
        self.p = {}
        for spec in w["params"]:
            t = torch.tensor(spec["data"], dtype=torch.float32).reshape(spec["shape"])
            self.p[spec["name"]] = t.requires_grad_(True)
        self.params = list(self.p.values())
        self.opt = torch.optim.Adam(self.params, lr=w["lr"])
        self.batches = [self.prepare(b) for b in w["batches"]]

    @staticmethod
    def prepare(b):
        groups = []
        for g in b["groups"]:
            q = dict(g)
            if "childRows" in g:
                q["childRows"] = torch.tensor(g["childRows"], dtype=torch.long)
            if "features" in g:
                q["features"] = torch.tensor(g["features"], dtype=torch.float32).reshape(g["count"], -1)
                q["values"] = torch.tensor(g["values"], dtype=torch.float32).reshape(-1, 1)
            if "symbolRows" in g:
                q["symbolRows"] = torch.tensor(g["symbolRows"], dtype=torch.long)
            groups.append(q)
        return {
            "groups": groups,
            "rootRows": torch.tensor(b["rootRows"], dtype=torch.long),
            "types": torch.tensor(b["targetTypes"], dtype=torch.long),
            "targets": torch.tensor(b["targetValues"], dtype=torch.float32).reshape(-1, 1),
        }

    def forward(self, b):
        p = self.p
        H = self.hidden
        hs, vs = [], []
        depth = -1
        states = values = None
        for g in b["groups"]:
            if g["depth"] != depth:
                depth = g["depth"]
                if hs:
                    states = torch.cat(hs, 0)
                    values = torch.cat(vs, 0)
            kind, n, a = g["kind"], g["count"], g["arity"]
            if kind == "number":
                h = torch.tanh(g["features"] @ p["number.W"] + p["number.b"])
                v = g["values"]
            elif kind == "symbol":
                e = p["symbol.embed"].index_select(0, g["symbolRows"])
                h = torch.tanh(e + g["features"] @ p["symbol.W"] + p["symbol.b"])
                v = g["values"]
            else:
                rows = g["childRows"]
                children = states.index_select(0, rows).reshape(n, a * H)
                h = torch.tanh(children @ p[kind + ".W"] + p[kind + ".b"])
                cv = values.index_select(0, rows).reshape(n, a)
                v = cv @ p[kind + ".add"]
                if a in (1, 2):
                    v = v + RowUnits.apply(cv, a) @ p[kind + ".units"]
            hs.append(h)
            vs.append(v)
        values = torch.cat(vs, 0)
        root_v = values.index_select(0, b["rootRows"])
        with torch.no_grad():
            d = (root_v - torch.round(root_v)).abs()
            integ = torch.where(torch.isfinite(d), torch.log10(d + 1e-6) / 6 + 1, torch.ones_like(d))
        logits = integ @ p["head.type.W"] + p["head.type.b"]
        return logits, root_v

    def loss(self, b):
        logits, v = self.forward(b)
        t = b["types"]
        y = b["targets"]
        pi = torch.softmax(logits.detach(), 1).gather(1, t.reshape(-1, 1))
        ged = ((1 - pi) + pi * torch.log2(1 + ((v - y) / self.tau) ** 2)).mean()
        ce = torch.nn.functional.cross_entropy(logits, t)
        aux = ((v * (1 / self.aux_scale) - y / self.aux_scale) ** 2).mean()
        return ged + ce + aux

    def step(self, b):
        loss = self.loss(b)
        self.opt.zero_grad(set_to_none=False)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    path, rounds, sample_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with open(path) as f:
        w = json.load(f)
    check = Peer(w)
    trace = [check.step(check.batches[i % len(check.batches)]) for i in range(len(w["lossTrace"]))]
    print(json.dumps({"check": "loss trace", "torch": trace, "ours": w["lossTrace"]}), flush=True)
    peer = Peer(w)
    default_threads = torch.get_num_threads()
    configs = [("torch-eager", default_threads), ("torch-eager-1t", 1)]
    cores = os.cpu_count() or 1
    if cores > default_threads:
        configs.append((f"torch-eager-{cores}t", cores))
    batch = len(w["batches"][0]["rootRows"])
    k = [0]

    def one():
        peer.step(peer.batches[k[0] % len(peer.batches)])
        k[0] += 1

    seconds = {name: [] for name, _ in configs}
    for name, threads in configs:
        torch.set_num_threads(threads)
        one()  # warm-up
    for _ in range(rounds):
        for name, threads in configs:
            torch.set_num_threads(threads)
            calls = 0
            start = time.perf_counter()
            while True:
                one()
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed * 1000 >= sample_ms:
                    break
            seconds[name].append(elapsed / calls)
    for name, threads in configs:
        s = sorted(seconds[name])
        med = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
        print(json.dumps({"backend": name, "threads": threads, "samplesPerSecond": batch / med, "secondsPerStep": seconds[name],
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
