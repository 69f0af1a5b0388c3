"""Shared bits for the model build scripts: the torchxrayvision label list and manifest writing."""
import json
import os

# torchxrayvision.datasets.default_pathologies, in its order (the order of the DenseNet "all" model's outputs).
TXV_LABELS = [
    'Atelectasis', 'Consolidation', 'Infiltration', 'Pneumothorax', 'Edema', 'Emphysema', 'Fibrosis', 'Effusion',
    'Pneumonia', 'Pleural_Thickening', 'Cardiomegaly', 'Nodule', 'Mass', 'Hernia', 'Lung Lesion', 'Fracture',
    'Lung Opacity', 'Enlarged Cardiomediastinum',
]

# torchxrayvision preprocessing: one channel, [-1024, 1024], centre crop, 224x224.
TXV_PREPROCESSING = {
    'intensityRange': [-1024, 1024],
    'crop': 'center-square',
    'resize': {'method': 'area', 'size': 224},
    'voi': 'dicom-first',
}


def write_manifest(out_dir, manifest):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
