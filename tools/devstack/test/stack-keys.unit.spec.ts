import { parseKeyring } from '@cad110/kafka';
import { Stack } from '../src';

describe('the devstack gives the personal-data key ring to intake, dispatch and records only (issue 19.6)', () => {
  const stack = new Stack({ brokers: '127.0.0.1:1', topicPrefix: 't.', dbPrefix: 'keys_', env: { CAD110_PERSONAL_DATA_KEYS: 'k9:leaked' } });

  it('a random key per stack, valid for the services', () => {
    expect(parseKeyring(stack.personalDataKeys).keys.size).toBe(1);
    expect(new Stack({ brokers: '127.0.0.1:1', topicPrefix: 't.', dbPrefix: 'keys_' }).personalDataKeys).not.toBe(stack.personalDataKeys);
  });

  it.each([['intake'], ['dispatch'], ['records']] as const)('%s holds it', (name) => {
    expect(stack.envFor(name, 1).CAD110_PERSONAL_DATA_KEYS).toBe(stack.personalDataKeys);
  });

  it.each([['statistics'], ['console']] as const)('%s never does (not even through `env` or the parent environment)', (name) => {
    process.env.CAD110_PERSONAL_DATA_KEYS = stack.personalDataKeys;
    try {
      expect(stack.envFor(name, 1).CAD110_PERSONAL_DATA_KEYS).toBeUndefined();
    } finally {
      delete process.env.CAD110_PERSONAL_DATA_KEYS;
    }
  });
});
