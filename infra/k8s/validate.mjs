#!/usr/bin/env node
// Validates Kubernetes manifests offline against the Kubernetes API's OpenAPI schemas (npm package
// kubernetes-models, ESM only, which validates with ajv). Usage: node infra/k8s/validate.mjs <file.yaml>…
// Prints one JSON line {file, objects, errors: [{index, kind, name, message}]}; exit 1 on any error.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';

const MODELS = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
};

let failed = false;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON()).filter(Boolean);
  const errors = [];
  docs.forEach((o, index) => {
    const M = MODELS[`${o.apiVersion}/${o.kind}`];
    try {
      if (!M) throw new Error(`no schema known for ${o.apiVersion} ${o.kind}`);
      new M(o).validate();
    } catch (e) {
      errors.push({ index, kind: o.kind, name: o.metadata?.name, message: String(e.message ?? e).slice(0, 500) });
    }
  });
  if (errors.length) failed = true;
  console.log(JSON.stringify({ file, objects: docs.length, errors }));
}
process.exit(failed ? 1 : 0);
