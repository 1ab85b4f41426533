import { loadConfig } from '@cad110/runtime';
import { ConsoleEnv } from './config';
import { DEFAULT_UNIT_THRESHOLDS, deskSettings } from './desk-settings';

describe('dispatcher desk settings from the environment', () => {
  it('defaults to the offline map and the default thresholds', () => {
    expect(deskSettings({})).toEqual({ mapTiles: null, unitStatusThresholds: DEFAULT_UNIT_THRESHOLDS });
    expect(deskSettings({ CONSOLE_MAP_TILE_URL: '' }).mapTiles).toBeNull();
  });
  it('takes a tile URL template with its datum, and thresholds merged over the defaults', () => {
    const s = deskSettings({ CONSOLE_MAP_TILE_URL: 'http://gis.local/t/{z}/{x}/{y}.png', CONSOLE_MAP_TILE_CRS: 'gcj-02', CONSOLE_UNIT_THRESHOLDS: '{"en-route":{"amber":300,"red":600}}' });
    expect(s.mapTiles).toEqual({ url: 'http://gis.local/t/{z}/{x}/{y}.png', crs: 'GCJ02', attribution: '' });
    expect(s.unitStatusThresholds['en-route']).toEqual({ amber: 300, red: 600 });
    expect(s.unitStatusThresholds.dispatched).toEqual(DEFAULT_UNIT_THRESHOLDS.dispatched);
  });
  it('refuses a bad template, datum or threshold at start-up naming the variable', () => {
    expect(() => deskSettings({ CONSOLE_MAP_TILE_URL: 'http://gis.local/tile.png' })).toThrow(/CONSOLE_MAP_TILE_URL=.*\{z\}/);
    expect(() => deskSettings({ CONSOLE_MAP_TILE_URL: 'http://gis.local/{z}/{x}/{y}', CONSOLE_MAP_TILE_CRS: 'BD09' })).toThrow(/CONSOLE_MAP_TILE_CRS=.*WGS84 or GCJ02/);
    expect(() => deskSettings({ CONSOLE_UNIT_THRESHOLDS: '{"dispatched":{"amber":120,"red":60}}' })).toThrow(/CONSOLE_UNIT_THRESHOLDS=.*amber <= red/);
    expect(() => deskSettings({ CONSOLE_UNIT_THRESHOLDS: '{"parked":{"amber":1,"red":2}}' })).toThrow(/CONSOLE_UNIT_THRESHOLDS/);
    expect(() => deskSettings({ CONSOLE_UNIT_THRESHOLDS: 'not json' })).toThrow(/CONSOLE_UNIT_THRESHOLDS/);
  });
  it("is part of the console's validated environment (exit 78 at start-up on a bad value)", () => {
    expect(() => loadConfig(ConsoleEnv, { CONSOLE_UNIT_THRESHOLDS: '{"dispatched":{"amber":0,"red":60}}' })).toThrow(/CONSOLE_UNIT_THRESHOLDS/);
    expect(loadConfig(ConsoleEnv, { CONSOLE_MAP_TILE_CRS: 'wgs84' }).CONSOLE_MAP_TILE_CRS).toBe('WGS84');
  });
});
