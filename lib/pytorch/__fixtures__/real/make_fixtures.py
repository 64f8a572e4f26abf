"""Writes the real torch.save fixtures beside this file, and expected.json with what torch itself reports.

Documentation of how the fixtures were made; the tests only read the files it wrote and never need Python or torch.
Run with Debian's python3-torch (1.13.1): `python3 make_fixtures.py` in this folder.

expected.json: {file: {"format": "pytorch-zip"|"pytorch-legacy", "tensors": {name: {dtype, shape, stride,
storage_offset, storage (a label shared by tensors with the same storage), values (float64 row-major logical
order, as torch materialises the tensor; integers/bools as numbers), sum}}}}.
"""
import json
import os

import torch

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {
    torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL',
}


def describe(sd):
    out = {}
    ptrs = {}
    for name, t in sd.items():
        if not isinstance(t, torch.Tensor):
            continue
        ptr = t.storage().data_ptr()
        label = ptrs.setdefault(ptr, 's%d' % len(ptrs))
        values = t.contiguous().flatten()
        values = values.double().tolist() if t.dtype.is_floating_point else values.long().tolist()
        out[name] = {
            'dtype': DTYPES[t.dtype],
            'shape': list(t.shape),
            'stride': list(t.stride()),
            'storage_offset': t.storage_offset(),
            'storage': label,
            'values': values,
            'sum': float(t.double().sum()),
        }
    return out


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, dtype=torch.float64).to(dtype)


def strided():
    big = randn(40)
    base = randn(8, 10)
    return {
        'transposed': randn(6, 9).t(),
        'column_slice': base[:, 2:7],
        'row_slice': base[3:6],
        'permuted': randn(3, 4, 5).permute(2, 0, 1),
        'stepped': randn(10, 12)[::2, ::3],
        'expanded': randn(1, 5).expand(4, 5),
        'view_a': big[10:30].view(4, 5),
        'view_b': big[:12].view(3, 4),
        'view_b_t': big[:12].view(3, 4).t(),
        'scalar': randn(1)[0],
        'empty': randn(0, 4),
    }


def tied():
    w = randn(5, 7)
    return {'embed.weight': w, 'lm_head.weight': w, 'other.weight': randn(3, 2)}


def dtypes():
    a = randn(6, 4, dtype=torch.bfloat16)
    return {
        'bf16': a,
        'bf16_t': a.t(),
        'f16': randn(4, 5, dtype=torch.float16),
        'f64': randn(3, 3, dtype=torch.float64),
        'i64': torch.arange(6, dtype=torch.int64).view(2, 3),
        'i32': torch.arange(4, dtype=torch.int32),
        'u8': torch.arange(5, dtype=torch.uint8),
        'b': torch.tensor([True, False, True]),
    }


def params():
    t = randn(2, 3)
    t.note = 'attribute that forces _rebuild_from_type_v2'
    return {'p': torch.nn.Parameter(randn(3, 4)), 'with_attr': t, 'plain': randn(2, 2)}


FILES = {}


def save(name, obj, sd, legacy=False):
    path = os.path.join(HERE, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    loaded = torch.load(path)
    # The reference is what torch loads back (check it agrees with what was saved).
    FILES[name] = {'format': 'pytorch-legacy' if legacy else 'pytorch-zip', 'tensors': describe(sd(loaded))}


s = strided()
save('strided.pt', s, lambda o: o)
save('strided-legacy.pt', s, lambda o: o, legacy=True)
t = tied()
save('tied.pt', t, lambda o: o)
save('tied-legacy.pt', t, lambda o: o, legacy=True)
d = dtypes()
save('dtypes.pt', d, lambda o: o)
save('dtypes-legacy.pt', d, lambda o: o, legacy=True)
p = params()
save('params.pt', p, lambda o: o)
lin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
save('nested-state-dict.pt', {'state_dict': lin.state_dict(), 'epoch': 3, 'best': 0.5, 'hparams': {'lr': 0.1}},
     lambda o: o['state_dict'])
opt = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
lin(torch.randn(2, 4)).sum().backward()
opt.step()
save('nested-model.pt', {'model': lin.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 1},
     lambda o: o['model'])
save('nested-legacy.pt', {'module': lin.state_dict(), 'step': 10}, lambda o: o['module'], legacy=True)
save('module-state-dict-legacy.pt', lin.state_dict(), lambda o: o, legacy=True)

with open(os.path.join(HERE, 'expected.json'), 'w') as f:
    json.dump(FILES, f, indent=1, sort_keys=True)
    f.write('\n')
