import { createBackend } from '../src/backend/index';
import { DagNN, KIND_NAMES } from '../src/model/index';
const backend = await createBackend('wasm');
const model = new DagNN(backend, { hidden: 4, binaryUnits: ['product', 'ratio', 'power'], valueStream: 'host', typeHead: 'exact', unitBound: 1000 });
console.log(KIND_NAMES.join(' '));
for (const p of model.parameterRoles().values) p.data.fill(0);
const get = (n: string) => model.parameters().find((p) => p.name === n)!;
get('exp.units').data[4] = 1; get('cos.units').data[1] = 1; get('log.units').data[3] = 1;
for (const e of ['(exp 4)', '(cos 3)', '(log 5)', '(exp x)']) console.log(e, JSON.stringify(model.predict(e, { x: 2 }).toJSON().nodes[0]));
