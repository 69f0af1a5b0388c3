#!/usr/bin/env python3
"""Build models/demo-cxr: a tiny, NON-DIAGNOSTIC convolutional net with fixed seeded random weights.

It exists so that the pipeline, its tests and the demo run end to end without downloading anything. Its outputs
depend on the image (so tests can see that preprocessing matters) but mean nothing clinically.
Deterministic: the same numpy seed gives byte-identical model.onnx. Run: .tools/venv/bin/python scripts/models/build_demo_model.py
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEMO_ACCEPTS, TXV_LABELS, TXV_PREPROCESSING, txv_manifest, write_manifest  # noqa: E402

SEED = 20240601
VERSION = '1.0.0'


def build(out_dir, seed=SEED, version=VERSION):
    rng = np.random.RandomState(seed)
    inits = []

    def param(name, *shape, fan_in):
        inits.append(numpy_helper.from_array((rng.randn(*shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), name))
        return name

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    nodes = [
        # [-1024, 1024] -> about [-1, 1], then shrink 224 -> 28 so the convolutions stay cheap.
        helper.make_node('Mul', ['input', const('scale', 1.0 / 1024)], ['x0']),
        helper.make_node('AveragePool', ['x0'], ['x1'], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node('Conv', ['x1', param('c1.w', 8, 1, 3, 3, fan_in=9), const('c1.b', np.zeros(8))], ['x2'], pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['x2'], ['x3']),
        helper.make_node('Conv', ['x3', param('c2.w', 16, 8, 3, 3, fan_in=72), const('c2.b', np.zeros(16))], ['x4'], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node('Relu', ['x4'], ['x5']),
        helper.make_node('GlobalAveragePool', ['x5'], ['x6']),
        helper.make_node('Flatten', ['x6'], ['x7'], axis=1),
        helper.make_node('Gemm', ['x7', param('fc.w', len(TXV_LABELS), 16, fan_in=16), const('fc.b', rng.randn(len(TXV_LABELS)) * 0.1)], ['logits'], transB=1),
        # Second output: class activation maps (CAM, Zhou et al. 2016): the last feature map x5 weighted by each label's
        # classifier weights (a 1x1 convolution with fc.w), [batch, labels, 14, 14]. No new random draws, so the
        # weights and the logits are exactly those of the model without it.
        helper.make_node('Reshape', ['fc.w', 'cam.shape'], ['cam.w']),
        helper.make_node('Conv', ['x5', 'cam.w'], ['class_activation_maps']),
    ]
    inits.append(numpy_helper.from_array(np.array([len(TXV_LABELS), 16, 1, 1], dtype=np.int64), 'cam.shape'))
    graph = helper.make_graph(
        nodes, 'demo_cxr',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 1, 224, 224])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', len(TXV_LABELS)]),
         helper.make_tensor_value_info('class_activation_maps', TensorProto.FLOAT, ['batch', len(TXV_LABELS), 14, 14])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='cxr-pipeline build_demo_model.py')
    model.ir_version = 8
    model.doc_string = 'NON-DIAGNOSTIC demo model with random weights. Do not use for patient care.'
    onnx.checker.check_model(model)
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, 'model.onnx'))
    manifest = txv_manifest(
        id='cxr-pipeline-demo-cxr',
        name='CXR pipeline demo model (NOT DIAGNOSTIC)',
        version=version,
        manufacturer='cxr-pipeline project',
        license='Apache-2.0 (same as this repository)',
        provenance=f'Built by scripts/models/build_demo_model.py: tiny CNN, random weights from numpy seed {seed}; never trained on any image.',
        intended_use='Demonstration and testing of the pipeline only. The scores are random functions of the image and carry NO clinical meaning.',
        accepts=DEMO_ACCEPTS,
    )
    manifest['classActivationMaps'] = {'output': 'class_activation_maps'}
    write_manifest(out_dir, manifest)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '..', 'models', 'demo-cxr'))
    # A second model version (models/demo-cxr-v2: --seed 20261127 --version 2.0.0) for re-processing and its tests.
    ap.add_argument('--seed', type=int, default=SEED)
    ap.add_argument('--version', default=VERSION)
    args = ap.parse_args()
    build(os.path.abspath(args.out), args.seed, args.version)
