"""Independent check of torch.nn.utils.prune's layout in safetensors, with numpy only.

check A B: A is a model saved with pruned weights as zeros, B the same model in the torch-prune
layout. Every matrix X with a mask in B has X_orig and X_mask (float32, 0/1, X's shape) and no X;
X_orig * X_mask equals X in A bit for bit; every other tensor is equal in both. Prints a JSON
summary.
write A OUT SEED: writes OUT in the torch-prune layout from A with a random mask (30% kept) on
fc1.weight and fc2.weight, as torch.nn.utils.prune.random_unstructured would leave it.
"""
import json, struct, sys
import numpy as np

def read(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = raw[8 + n:]
    arrays = {}
    for name, h in header.items():
        assert h['dtype'] == 'F32', (name, h['dtype'])
        a, b = h['data_offsets']
        arrays[name] = np.frombuffer(body[a:b], dtype='<f4').reshape(h['shape'])
    return arrays, meta

def write(path, arrays, meta):
    header, offset, chunks = {'__metadata__': meta}, 0, []
    for name, a in arrays.items():
        b = np.ascontiguousarray(a, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        chunks.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(chunks))

if sys.argv[1] == 'check':
    zeros, _ = read(sys.argv[2])
    torch_layout, _ = read(sys.argv[3])
    masked = sorted(k[:-5] for k in torch_layout if k.endswith('_mask'))
    for x in masked:
        orig, mask = torch_layout[x + '_orig'], torch_layout[x + '_mask']
        assert x not in torch_layout, f'{x} saved beside its _orig/_mask'
        assert mask.shape == orig.shape == zeros[x].shape, x
        assert set(np.unique(mask)) <= {0.0, 1.0}, f'{x}_mask is not 0/1'
        assert np.array_equal(orig * mask, zeros[x]), f'{x}_orig * {x}_mask differs from the zeros file'  # -0 == 0
    others = [k for k in torch_layout if not k.endswith(('_orig', '_mask'))]
    for k in others:
        assert np.array_equal(torch_layout[k], zeros[k]), k
    print(json.dumps({'masked': masked, 'others': sorted(others), 'kept': {x: float(torch_layout[x + '_mask'].mean()) for x in masked}}))
elif sys.argv[1] == 'write':
    arrays, meta = read(sys.argv[2])
    rng = np.random.default_rng(int(sys.argv[4]))
    out = {}
    for name, a in arrays.items():
        if name in ('fc1.weight', 'fc2.weight'):
            mask = (rng.random(a.shape) < 0.3).astype('<f4')
            out[name + '_orig'] = a
            out[name + '_mask'] = mask
        else:
            out[name] = a
    write(sys.argv[3], out, meta)
    print(json.dumps({'written': sorted(out)}))
