import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { describeWithShared } from '@cad110/testkit';
import { describeErrors, eidoSchemaDir, loadEidoSchema } from './schema';
import { DISPOSITION, INCIDENT_TYPE, PERSON_ROLE, commonPriorityNumber } from './registry-map';
import { escapeXml, pidfLo } from './export';

jest.setTimeout(60_000);

describeWithShared('the EIDO validator built from ../shared/standards/eido', ['standards/eido/Schema/openapi.yaml', 'standards/eido/Samples/Sample call transfer EIDO.json'], () => {
  let schema: ReturnType<typeof loadEidoSchema>;
  let sample: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(() => {
    schema = loadEidoSchema();
    sample = JSON.parse(readFileSync(join(eidoSchemaDir(), '..', 'Samples', 'Sample call transfer EIDO.json'), 'utf8'));
  });

  it('accepts the NENA sample and rejects it when a required field is missing or an enumeration is broken', () => {
    const ok = schema.validate(sample);
    expect(describeErrors(schema.validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    const broken = structuredClone(sample);
    delete broken.agencyComponent[0].agencyRoleDescriptionRegistryText;
    broken.eidoVersion = '2.0';
    broken.callComponent[0].callStartTimestamp = 'yesterday';
    expect(schema.validate(broken)).toBe(false);
    const errors = describeErrors(schema.validate.errors).join('\n');
    expect(errors).toMatch(/agencyRoleDescriptionRegistryText/);
    expect(errors).toMatch(/eidoVersion/);
    expect(errors).toMatch(/callStartTimestamp: must match format "date-time"/);
  });

  it('repairs exactly the minItems "1," typo and lists the NIEM files the shared copy lacks', () => {
    expect(schema.repairs).toEqual([expect.stringMatching(/openapi\.yaml: minItems "1," read as 1$/)]);
    expect(readFileSync(join(eidoSchemaDir(), 'openapi.yaml'), 'utf8')).toContain('minItems: 1,');
    expect(Object.keys(schema.unavailable)).toEqual(expect.arrayContaining(['NIEMComponents/niem-xs.yaml', 'NIEMComponents/ncic.yaml']));
    expect(Object.keys(schema.unavailable)).not.toContain('NIEMComponents/nc.yaml');
    expect(Object.keys(schema.unavailable)).not.toContain('NIEMComponents/j.yaml');
  });

  it('checks the NIEM types of nc.yaml, and refuses parts that lean on files it does not have', () => {
    const person = (nc: object) => ({ ...sample, personComponent: [{ ...sample.personComponent[0], ncPersonComponent: nc }] });
    expect(schema.validate(person({}))).toBe(true);
    expect(schema.validate(person({ accent: 'southern' }))).toBe(false); // nc.yaml: accent is an array
    expect(describeErrors(schema.validate.errors)).toContain('/personComponent/0/ncPersonComponent/accent: must be array');
    expect(schema.validate(person({ accent: [{ value: 'southern' }] }))).toBe(false); // ncTextType builds on niem-xs.yaml (absent)
  });
});

describe('EIDO registry mapping', () => {
  it('maps every subtype of the 110 taxonomy onto an APCO common incident type', () => {
    const subtypes = loadTaxonomy().allSubtypes().map((s) => s.code);
    expect(subtypes.filter((s) => !INCIDENT_TYPE[s])).toEqual([]);
    expect(Object.keys(INCIDENT_TYPE).filter((k) => !subtypes.includes(k))).toEqual([]);
    expect(Object.values(INCIDENT_TYPE).every((v) => /^[0-9A-Z]+$/.test(v.value) && v.verified)).toBe(true);
  });

  it('names a source for every value and marks what could not be verified', () => {
    for (const v of [...Object.values(DISPOSITION), ...Object.values(PERSON_ROLE)]) expect(v.source.length).toBeGreaterThan(10);
    expect(PERSON_ROLE['reporting-person']).toMatchObject({ value: 'Caller', verified: true });
    expect(DISPOSITION.solved.verified).toBe(false);
  });

  it('maps 110 priorities 1..4 onto common priority numbers 10, 7, 4, 1', () => {
    expect([1, 2, 3, 4].map(commonPriorityNumber)).toEqual([10, 7, 4, 1]);
  });

  it('escapes text in PIDF-LO and notes', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    const doc = pidfLo('110.bureau.example', { address: 'A & B', lat: 29.1, lon: 119.6 }, '2026-01-01T00:00:00.000Z');
    expect(doc).toContain('<gml:pos>29.1 119.6</gml:pos>');
    expect(doc).toContain('<ca:LOC>A &amp; B</ca:LOC>');
  });
});
