import type { Metadata } from "next";
import type { ReactNode } from "react";

import { messages } from "@/lib/i18n";
import { LOCALE } from "@/lib/locale";

import "./globals.css";

export const metadata: Metadata = {
  title: messages.meta.title,
  description: messages.meta.description,
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang={LOCALE}>
      <body>{children}</body>
    </html>
  );
}
