package io.onboarder.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A block of IP addresses in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address
 * without a prefix): how {@code TRUSTED_PROXIES} names the proxies whose {@code X-Forwarded-For} is
 * believed. Only IP literals are read; a host name is never resolved.
 */
public final class Cidr {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private final byte[] network;
  private final int prefix;
  private final String text;

  private Cidr(byte[] network, int prefix, String text) {
    this.network = network;
    this.prefix = prefix;
    this.text = text;
  }

  /** Parses {@code address[/prefix]}; an IllegalArgumentException says what is wrong. */
  public static Cidr parse(String text) {
    String s = text.trim();
    int slash = s.indexOf('/');
    byte[] address = address(slash < 0 ? s : s.substring(0, slash));
    if (address == null) {
      throw new IllegalArgumentException("'" + s + "' is not an IPv4 or IPv6 address or CIDR block");
    }
    int bits = address.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
        throw new IllegalArgumentException("'" + s + "' has a prefix length outside 0.." + bits);
      }
      prefix = Integer.parseInt(p);
    }
    return new Cidr(mask(address, prefix), prefix, s);
  }

  /** Whether {@code ip} (an IP literal; anything else is not contained) lies in this block. */
  public boolean contains(String ip) {
    byte[] a = ip == null ? null : address(ip);
    return a != null && a.length == network.length && Arrays.equals(mask(a, prefix), network);
  }

  /**
   * The bytes of an IPv4 or IPv6 literal (an IPv6 zone {@code %eth0} is dropped; IPv4-mapped IPv6 is IPv4),
   * or null for anything else: never a DNS lookup.
   */
  public static byte[] address(String ip) {
    String s = ip.trim();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    int zone = s.indexOf('%');
    if (zone >= 0) {
      s = s.substring(0, zone);
    }
    boolean v4 = IPV4.matcher(s).matches();
    if (!v4 && !(s.indexOf(':') >= 0 && IPV6.matcher(s).matches())) {
      return null;
    }
    if (v4) {
      for (String part : s.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return null;
        }
      }
    }
    try {
      return InetAddress.getByName(s).getAddress(); // a literal (checked above): parsed, not resolved
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] &= (byte) (0xff << (8 - keep));
    }
    return out;
  }

  @Override
  public String toString() {
    return text;
  }
}
