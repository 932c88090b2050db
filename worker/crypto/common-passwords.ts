/**
 * Frequently used passwords and password stems (English and French), lower-case, written
 * for this project. The policy also strips leading/trailing digits and symbols and undoes
 * simple leetspeak before looking a password up, so "Soleil2024!!" matches "soleil".
 */
const LIST = `
123456 123456789 12345678 12345 1234567 1234567890 111111 123123 000000 654321 666666 121212
112233 123321 7777777 888888 999999 555555 11111111 00000000 987654321 123456789012 1234512345
0123456789 147258369 159753 789456 456789 741852963 147852369 159357 123654 11223344 12341234
1111111111 123123123 1234554321 111222333 123456123456 12121212 131313 232323 252525 101010 102030
010203 147147 147258 111222 0987654321 789456123 12344321 87654321 1212 1313 2222 4444 5555 7777 0000
1111 2000 2020 2021 2022 2023 2024 2025 2026 6969 696969 8675309 4815162342 159951 951753 753951 258456
password password1 password12 password123 password1234 passw0rd passwort pass pass123 pass1234 passe
motdepasse motdepasse1 motdepasse123 mdp mdp123 mot2passe mypassword monmotdepasse secret secret123
qwerty qwerty1 qwerty12 qwerty123 qwerty1234 qwertyuiop qwertyui qwertyu qwert qwer1234 1234qwer qwe123
123qwe qweqwe qweasd qweasdzxc qazwsx qazwsxedc 1qaz2wsx 1qazxsw2 zaq12wsx zaq1zaq1 qazxsw qwaszx
12qwaszx 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e q1w2e3r4 q1w2e3r4t5 q1w2e3 zxcvbnm zxcvbn zxcvb asdfgh
asdfghjkl asdfghjk asdf asdfasdf asdf1234 asd123 asdasd azerty azerty1 azerty12 azerty123 azerty1234
azerty123456 azertyuiop azertyui azertyu azert 1234azerty azer1234 qsdfghjklm qsdfgh wxcvbn aqwzsx
aqwxsz wxcvbnqsdfghjklm poiuytreza mlkjhgfdsq nbvcxw abc123 abcd1234 abcdef abcdefg abcdefgh abc
123abc 123456a 12345a a123456 aaaaaa aaaaaaaa qqqqqq zzzzzz xxxxxx 1234abcd abc12345 test test123
test1234 testing tester admin admin123 administrator root toor user guest login welcome welcome1
letmein iloveyou iloveu loveme lovely love love123 trustno1 whatever nothing access master changeme
default temp temporary demo sample qwerty12345 azerty2024 bienvenue bienvenue1 bonjour bonjour1
bonjour123 bonsoir salut salut123 coucou coucou123 merci hello hello1 hello123 hi hallo hallo123 hola
soleil soleil1 soleil123 lune etoile etoiles lumiere ciel nuage arcenciel rainbow sunshine sunset
summer winter spring autumn ete hiver printemps automne noel christmas paques vacances plage mer ocean
montagne foret jardin fleur fleurs rose roses tulipe papillon oiseau chat chaton chatte chien chiot
cheval chevaux lapin tigre lion loup renard ours panda dauphin tortue souris minou minette titou titi
toto tata tutu lolo lili lulu nono nini fifi kiki zaza doudou doudou1 chouchou loulou loulou1 nounours
bisous bisou calin poupette puce puce123 princesse prince princess cherie cheri mamour monamour amour
amour123 jetaime jetaime1 jetaime2 jetaimemonamour tequiero teamo ichliebedich mylove babe baby babygirl
bebe bebe123 bebou maman papa maman123 papa123 mamie papi famille enfants fils fille frere soeur
tresor tresors bonheur chance liberte egalite fraternite vivelafrance france francais france123
marseille marseille13 paris paris75 lyon lyon69 toulouse bordeaux nantes lille nice strasbourg
montpellier rennes reims toulon grenoble dijon angers brest tours limoges amiens metz perpignan
bretagne normandie provence corse alsace savoie auvergne london newyork chicago boston dallas
florida california texas canada mexico america pakistan brazil london1 berlin madrid roma
football foot foot123 soccer basket basketball tennis rugby handball hockey baseball golf golfer
boxing running velo cyclisme natation danse dance music musique guitare guitar piano batterie
drummer chanson cinema theatre livre lecture dessin peinture photo voyage voyager sport sports
psg allezpsg olympique om allezlom ol asse losc girondins realmadrid barcelona barca chelsea arsenal
liverpool manchester juventus milan bayern zidane mbappe griezmann platini henry ribery benzema
messi ronaldo neymar cr7 pele maradona jordan jordan23 kobe lebron federer nadal djokovic
napoleon asterix obelix tintin milou babar snoopy mickey minnie donald goofy pluto garfield
scooby shrek simba nemo dory pikachu pokemon naruto sasuke goku vegeta dragonball onepiece luffy
doraemon sonic mario luigi zelda link batman superman spiderman spider ironman hulk thor avengers
marvel starwars yoda vader jedi skywalker matrix neo gandalf frodo hobbit harrypotter hermione
hogwarts voldemort sherlock dexter merlin arthur lancelot excalibur dragon dragons phoenix unicorn
licorne fairy fee sorcier magie magic wizard witch vampire zombie monster demon angel angels ange
diable diablo devil lucifer satan god dieu jesus jesuschrist christ allah bible amen grace faith
heaven paradise paradis destiny freedom victory success winner champion legend hero heros warrior
guerrier ninja samurai knight king queen roi reine empereur boss chef leader master1 mister monsieur
madame mademoiselle lady sexy sexy123 hot chaud beau belle beaute jolie joli mignon mignonne cool
cool123 super super123 genial genius smart happy heureux joie rire sourire fun funny crazy fou folle
killer sniper hunter shadow ombre dark darkness noir black blanc white rouge red bleu blue vert green
jaune yellow orange violet purple rose123 gris grey silver argent gold golden or diamond diamant
crystal cristal perle pearl ruby emeraude saphir platinum titanium steel metal metallica slipknot
nirvana eminem beatles queen123 acdc ramones linkinpark rammstein johnny michael michael1 jennifer
jessica ashley amanda nicole michelle melissa stephanie sarah samantha elizabeth daniel david robert
thomas william james john joseph charles richard andrew anthony matthew christopher joshua justin
brandon ryan kevin jason eric brian steven george edward peter paul mark scott patrick dennis jack
harry oliver charlie alex alexander alexandre alexandra alexis nicolas nicolas1 camille julien julie
marine nathalie isabelle sandrine caroline celine aurelie audrey emilie laura manon sophie pauline
elodie mathilde charlotte antoine maxime guillaume vincent sebastien frederic olivier christophe
philippe francois pierre jeanne louise marie marie123 martine catherine christine valerie veronique
sylvie patricia nathan lucas hugo louis gabriel jules leo raphael enzo adam ethan noah tom theo
clement romain quentin florian jeremy benjamin mathieu matthieu anthony1 kevin123 dylan kylian killian
lea chloe emma ines jade lina louna lola zoe alice anna eva clara juliette margaux lucie oceane
justine marion morgane amandine melanie virginie delphine sabrine karine laetitia severine helene
anne annie monique josiane danielle chantal brigitte nadine francoise jacqueline simone odette
jacques michel alain bernard claude daniel1 gerard rene roger andre marcel robert1 jean jeanpierre
jeanmarc jeanluc jeanclaude jeanmichel jeanpaul mohamed mohammed ahmed karim yassine sofiane mehdi
nabil rachid samir fatima aicha yasmine sarah123 ines123 leila nadia amina sabrina jasmine victoria
natasha tiffany vanessa monica rebecca rachel lauren angela andrea heather kimberly shannon madison
taylor morgan jordan1 hannah sophie1 emily olivia ava mia abigail isabella bailey maggie
pepper ginger cookie muffin cupcake cherry banana apple apples peach peaches lemon citron fraise
framboise cerise pomme poire abricot melon pasteque mangue ananas kiwi coco chocolat chocolate
caramel vanille sucre sucette bonbon bonbons gateau tarte crepe crepes croissant baguette fromage
camembert pizza burger frites pasta spaghetti sushi coffee cafe the tea biere beer vin wine champagne
vodka whisky cocacola pepsi redbull nutella haribo kinder oreo mcdonalds starbucks cheese butter
chicken turkey bacon hotdog icecream pancake donut candy sugar honey honey123 sweet sweetie sweety
cutie darling sweetheart lover lovers kitten kitty puppy doggy doggie bunny teddy teddybear poohbear
winnie tigger bambi buddy buster max maxou rocky rex milo charlie1 bella luna lucky oscar simba1
felix leo123 nala oreo1 caramel1 cannelle moka filou rantanplan idefix medor garfield1 tom123
computer ordinateur ordi internet google facebook instagram twitter snapchat tiktok youtube
netflix amazon apple123 iphone samsung android windows microsoft linux ubuntu macbook gmail
hotmail yahoo orange123 free sfr bouygues wanadoo laposte banque credit money euro euros
dollar dollars bitcoin crypto rich riche million millionaire lottery loto casino poker jackpot
business company entreprise bureau travail boulot job ecole school college lycee universite
student etudiant prof teacher doctor docteur medecin nurse infirmiere police policier pompier
soldat army navy pilot pilote captain capitaine sergeant ranger rangers cowboy cowboys
indian pirate pirates viking vikings spartan trojan gladiator titan titans zeus apollo hercules
athena odin loki kraken godzilla kingkong dinosaure dinosaur rex123 jurassic alien aliens ufo
galaxy universe univers space espace planete planet earth terre mars jupiter saturn saturne
venus pluton mercury mercure moon sun star stars starlight moonlight midnight minuit matin soir
nuit night day today tomorrow demain forever toujours jamais never always eternity infinity
infini zero one two three four five six seven eight nine ten un deux trois quatre cinq sept
huit neuf dix cent mille lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday
wednesday thursday friday saturday sunday janvier fevrier avril mai juin juillet aout
septembre octobre novembre decembre january february march april may june july august september
october november december voiture auto car cars moto motorbike bike scooter bateau boat avion
plane train camion truck tracteur ferrari porsche lamborghini bugatti mercedes bmw audi
volkswagen golf123 renault peugeot citroen clio megane twingo toyota honda yamaha suzuki kawasaki
ducati harley harleydavidson nissan mazda ford mustang corvette camaro chevrolet jeep tesla
volvo fiat opel dacia seat skoda maison house home homesweethome chambre cuisine salon
village ville city country pays monde world terre123 nature natural animal animals animaux
fishing peche chasse hunting camping hiking randonnee ski snow neige glace ice fire feu eau water
air wind vent storm orage tempete thunder thunderbird lightning eclair tornado ouragan volcano
volcan rock rocknroll metalhead punk rap hiphop jazz blues reggae disco techno electro house123
dj musique123 bandit gangster mafia thug gang ghetto street rue playboy player players gamer
gaming game games jeux jeu video minecraft fortnite roblox callofduty warcraft starcraft diablo3
counterstrike halo xbox playstation ps4 ps5 nintendo wii gameboy tetris pacman zelda1 pokemon1
matrix1 terminator rambo rocky1 predator titanic avatar inception gladiator1 scarface godfather
joker batman1 superman1 hello12 hello1234 welcome123 letmein1 iloveyou1 iloveyou2 trustme believe
imagine dream dreams dreamer reve reves espoir hope peace paix love1 lovelove amour1 amoureux
passion desir envie plaisir secret1 secrets mystere mystery enigma puzzle question reponse
answer solution password2 password3 motdepasse2 codesecret code code123 pin pin1234 acces access1
accesso compte account myaccount profil profile utilisateur username identifiant connexion
connect online offline system systeme server serveur network reseau database oracle mysql sql
java python javascript php html css coding hacker hack hacked hacking anonymous security
securite protect protection safety safe private prive public confidentiel confidential classified
topsecret nopassword nopass blank empty vide null undefined none void nothing1 unknown inconnu
qwertz qwertzuiop asdfghjklzxcvbnm qwertyuiopasdfghjkl mnbvcxz lkjhgfdsa poiuytrewq ytrewq
azertyuiopqsdfghjklm wxcvbn123 1234567a 12345678a 123456789a a1b2c3 a1b2c3d4 a1b2c3d4e5 abcabc
abcabcabc aaa111 abc111 aa123456 qq123456 zz123456 iloveyou123 loveyou fuckyou fuckoff fuckme
bitch asshole shit merde putain connard salope enculer batard bordel chiotte zut flute
pokemon123 naruto123 dragon123 monkey monkey1 monkey123 shadow1 shadow123 master123 superman123
batman123 football1 football123 baseball1 soccer1 hockey1 princess1 princess123 sunshine1 starwars1
michelle1 jessica1 ashley1 charlie123 jordan123 hunter1 hunter2 buster1 tigger1 killer1
ginger1 summer1 summer123 winter1 spring1 freedom1 whatever1 computer1 internet1 letmein123
trustno1a cheese1 maggie1 pepper1 cookie1 angel1 angel123 flower flower1 flowers butterfly
papillon1 dolphin dolphins turtle rabbit tiger tigers panther panthers jaguar eagle eagles falcon
hawk raven crow owl bulldog pitbull rottweiler labrador husky poodle caniche berger
`;

let cached: Set<string> | undefined;

/** The list as a set (built on first use). */
export function commonPasswords(): Set<string> {
  cached ??= new Set(LIST.split(/\s+/).filter(Boolean));
  return cached;
}
