import { limitHint, limitName, limitValue, orderLimits } from '../lib/plans';
import { Badge, Table, Td } from './index';

/** Each limit with what is in use beside what is allowed; a limit nearly reached is marked, one reached more so. */
export function LimitsTable({ limits, usage, caption = 'Limits' }: { limits: Record<string, number | null>; usage: Record<string, number>; caption?: string }) {
  const codes = orderLimits([...Object.keys(limits), ...Object.keys(usage)]);
  return (
    <Table caption={caption} head={['Limit', 'In use', 'Allowed', 'Status']}>
      {codes.map((code) => {
        const allowed = limits[code];
        const used = usage[code];
        const counted = used !== undefined;
        const full = counted && allowed !== null && allowed !== undefined && used >= allowed;
        const near = counted && !full && allowed !== null && allowed !== undefined && allowed > 0 && used / allowed >= 0.8;
        return (
          <tr key={code} data-testid="limit" data-limit={code}>
            <Td className="font-medium">
              {limitName(code)}
              {limitHint(code) && <span className="block text-xs font-normal text-stone-600">{limitHint(code)}</span>}
            </Td>
            <Td className="tabular-nums" data-testid="used">
              {counted ? limitValue(code, used) : <span className="text-stone-600">Not counted here</span>}
            </Td>
            <Td className="tabular-nums" data-testid="allowed">
              {limitValue(code, allowed)}
            </Td>
            <Td>{full ? <Badge tone="bad">Limit reached</Badge> : near ? <Badge tone="warn">Nearly reached</Badge> : null}</Td>
          </tr>
        );
      })}
    </Table>
  );
}
