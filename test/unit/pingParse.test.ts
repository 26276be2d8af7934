import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePingTimes } from '../../extension/core/probe/icmpPing';

// Windows ping speaks the display language (and writes the OEM code page, read here as latin1); Linux iputils does
// not. The summary lines must never count as replies.

const cp866AsLatin1 = (s: string) =>
  Buffer.from(
    [...s].map((c) => {
      const code = c.charCodeAt(0);
      return code < 128 ? code : code >= 0x430 && code <= 0x43f ? 0xa0 + code - 0x430 : code >= 0x410 && code <= 0x42f ? 0x80 + code - 0x410 : 0x3f;
    }),
  ).toString('latin1');

const windows: Record<string, string> = {
  en: 'Pinging nas01 [10.0.0.5] with 32 bytes of data:\r\nReply from 10.0.0.5: bytes=32 time=3ms TTL=128\r\nReply from 10.0.0.5: bytes=32 time<1ms TTL=128\r\n\r\nPing statistics for 10.0.0.5:\r\n    Packets: Sent = 2, Received = 2, Lost = 0 (0% loss),\r\nApproximate round trip times in milli-seconds:\r\n    Minimum = 0ms, Maximum = 3ms, Average = 1ms\r\n',
  de: 'Ping wird ausgeführt für nas01 [10.0.0.5] mit 32 Bytes Daten:\r\nAntwort von 10.0.0.5: Bytes=32 Zeit=3ms TTL=128\r\nAntwort von 10.0.0.5: Bytes=32 Zeit<1ms TTL=128\r\n\r\nPing-Statistik für 10.0.0.5:\r\n    Pakete: Gesendet = 2, Empfangen = 2, Verloren = 0\r\nCa. Zeitangaben in Millisek.:\r\n    Minimum = 0ms, Maximum = 3ms, Mittelwert = 1ms\r\n',
  fr: 'Envoi d’une requête Ping nas01 [10.0.0.5] avec 32 octets de données :\r\nRéponse de 10.0.0.5 : octets=32 temps=3 ms TTL=128\r\nRéponse de 10.0.0.5 : octets=32 temps<1ms TTL=128\r\n    Minimum = 0ms, Maximum = 3ms, Moyenne = 1ms\r\n',
  no: 'Pinger nas01 [10.0.0.5] med 32 byte med data:\r\nSvar fra 10.0.0.5: byte=32 tid=3ms TTL=128\r\nSvar fra 10.0.0.5: byte=32 tid<1ms TTL=128\r\n    Minimum = 0ms, Maksimum = 3ms, Gjennomsnitt = 1ms\r\n',
  pt: 'Resposta de 10.0.0.5: bytes=32 tempo=3ms TTL=128\r\nResposta de 10.0.0.5: bytes=32 tempo<1ms TTL=128\r\n    Mínimo = 0ms, Máximo = 3ms, Média = 1ms\r\n',
  ru: cp866AsLatin1(
    'Ответ от 10.0.0.5: число байт=32 время=3мс TTL=128\r\nОтвет от 10.0.0.5: число байт=32 время<1мс TTL=128\r\n    Минимальное = 0мсек, Максимальное = 3 мсек, Среднее = 1 мсек\r\n',
  ),
  ja: '10.0.0.5 からの応答: バイト数 =32 時間 =3ms TTL=128\r\n10.0.0.5 からの応答: バイト数 =32 時間 <1ms TTL=128\r\n    最小 = 0ms、最大 = 3ms、平均 = 1ms\r\n',
  'en IPv6':
    'Pinging nas01 [fd00::5] with 32 bytes of data:\r\nReply from fd00::5: time=3ms\r\nReply from fd00::5: time<1ms\r\n    Minimum = 0ms, Maximum = 3ms, Average = 1ms\r\n',
  'de IPv6': 'Antwort von fd00::5: Zeit=3ms\r\nAntwort von fd00::5: Zeit<1ms\r\n    Minimum = 0ms, Maximum = 3ms, Mittelwert = 1ms\r\n',
};

test('Windows ping replies are read in any display language and code page; summary lines are not replies', () => {
  for (const [lang, text] of Object.entries(windows)) assert.deepEqual(parsePingTimes(text), [3, 0.5], lang);
});

test('Linux iputils replies, and no replies at all', () => {
  const linux =
    'PING nas01 (10.0.0.5) 56(84) bytes of data.\n64 bytes from 10.0.0.5: icmp_seq=1 ttl=64 time=0.045 ms\n64 bytes from 10.0.0.5: icmp_seq=2 ttl=64 time=1.20 ms\n\n--- nas01 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 1001ms\nrtt min/avg/max/mdev = 0.045/0.622/1.200/0.577 ms\n';
  assert.deepEqual(parsePingTimes(linux), [0.045, 1.2]);
  assert.deepEqual(parsePingTimes('Request timed out.\r\nZeitüberschreitung der Anforderung.\r\n    Pakete: Gesendet = 2, Empfangen = 0, Verloren = 2\r\n'), []);
  assert.deepEqual(parsePingTimes('Reply from 10.0.0.1: Destination host unreachable.\r\n'), []);
});
