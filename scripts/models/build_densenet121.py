#!/usr/bin/env python3
"""Build models/bench-densenet121: DenseNet-121 (torchvision/torchxrayvision layout, 18 outputs) with RANDOM weights.

BENCHMARK ONLY: it has the shape and cost of torchxrayvision's DenseNet-121 (1x1x224x224 in, 18 logits out,
~7M parameters, ~2.9 GFLOPs) so throughput measurements are realistic, but its outputs are meaningless.
Built with onnx.helper because torch is not installable here. Output is ~28 MB, so it is gitignored and rebuilt by
scripts/models/ensure-models. Deterministic (numpy seed).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import TXV_LABELS, TXV_PREPROCESSING, txv_manifest, write_manifest  # noqa: E402

SEED = 121
GROWTH, BN_SIZE, BLOCKS, INIT_FEATURES = 32, 4, (6, 12, 24, 16), 64


class Builder:
    def __init__(self):
        self.rng = np.random.RandomState(SEED)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return f'{p}_{self.n}'

    def tensor(self, name, arr):
        self.inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    def conv(self, x, cin, cout, k, stride=1, pad=0, gain=1.0):
        w = self.tensor(self.name('conv_w'), self.rng.randn(cout, cin, k, k) * np.sqrt(2.0 / (cin * k * k)) * gain)
        y = self.name('conv')
        self.nodes.append(helper.make_node('Conv', [x, w], [y], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        return y

    def bn_relu(self, x, c):
        # Random-ish but sane statistics so activations neither vanish nor explode through 121 layers.
        scale = self.tensor(self.name('bn_s'), 1.0 + 0.1 * self.rng.randn(c))
        bias = self.tensor(self.name('bn_b'), 0.1 * self.rng.randn(c))
        mean = self.tensor(self.name('bn_m'), 0.1 * self.rng.randn(c))
        var = self.tensor(self.name('bn_v'), 1.0 + 0.1 * np.abs(self.rng.randn(c)))
        y, z = self.name('bn'), self.name('relu')
        self.nodes.append(helper.make_node('BatchNormalization', [x, scale, bias, mean, var], [y], epsilon=1e-5))
        self.nodes.append(helper.make_node('Relu', [y], [z]))
        return z

    def op(self, op, inputs, **attrs):
        y = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [y], **attrs))
        return y


def build(out_dir):
    b = Builder()
    x = b.conv('input', 1, INIT_FEATURES, 7, stride=2, pad=3, gain=1 / 1024)  # inputs span [-1024, 1024]
    x = b.bn_relu(x, INIT_FEATURES)
    x = b.op('MaxPool', [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = INIT_FEATURES
    for i, layers in enumerate(BLOCKS):
        for _ in range(layers):
            y = b.bn_relu(x, c)
            y = b.conv(y, c, BN_SIZE * GROWTH, 1)
            y = b.bn_relu(y, BN_SIZE * GROWTH)
            y = b.conv(y, BN_SIZE * GROWTH, GROWTH, 3, pad=1)
            x = b.op('Concat', [x, y], axis=1)
            c += GROWTH
        if i != len(BLOCKS) - 1:
            x = b.bn_relu(x, c)
            x = b.conv(x, c, c // 2, 1)
            x = b.op('AveragePool', [x], kernel_shape=[2, 2], strides=[2, 2])
            c //= 2
    x = b.bn_relu(x, c)  # c == 1024
    x = b.op('GlobalAveragePool', [x])
    x = b.op('Flatten', [x], axis=1)
    w = b.tensor('classifier_w', b.rng.randn(len(TXV_LABELS), c) * np.sqrt(1.0 / c))
    bias = b.tensor('classifier_b', np.zeros(len(TXV_LABELS)))
    b.nodes.append(helper.make_node('Gemm', [x, w, bias], ['logits'], transB=1))
    graph = helper.make_graph(
        b.nodes, 'densenet121_benchmark',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 1, 224, 224])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', len(TXV_LABELS)])],
        b.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='cxr-pipeline build_densenet121.py')
    model.ir_version = 8
    model.doc_string = 'BENCHMARK ONLY: DenseNet-121 shape with random weights. Outputs are meaningless.'
    onnx.checker.check_model(model)
    os.makedirs(out_dir, exist_ok=True)
    tmp = os.path.join(out_dir, 'model.onnx.tmp')
    onnx.save(model, tmp)
    os.replace(tmp, os.path.join(out_dir, 'model.onnx'))  # atomic: a half-written model never looks "done"
    params = sum(int(np.prod(t.dims)) for t in graph.initializer)
    write_manifest(out_dir, txv_manifest(
        id='cxr-pipeline-bench-densenet121',
        name='DenseNet-121 benchmark model (random weights, NOT DIAGNOSTIC)',
        version='1.0.0',
        manufacturer='cxr-pipeline project',
        license='Apache-2.0 (same as this repository)',
        provenance=f'Built by scripts/models/build_densenet121.py: DenseNet-121 architecture (growth 32, blocks 6-12-24-16), {params} random parameters from numpy seed {SEED}; never trained.',
        intended_use='Benchmark only: measures throughput of a DenseNet-121-sized model. Outputs carry NO meaning.',
    ))
    print(f'wrote {out_dir}/model.onnx ({params} parameters)')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '..', 'models', 'bench-densenet121'))
    build(os.path.abspath(ap.parse_args().out))
